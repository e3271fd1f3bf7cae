"""``/api/v1/reference/...``: the reference data the terminals' forms pick from (a terminal token
is needed, like every terminal call). Unknown region codes are 404, bilingual."""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from server.certificates import CHINA_TZ
from server.context import get_terminal
from server.errors import TERMINAL_ERROR_RESPONSES, ApiError
from server.models import Terminal
from server.reference import divisions, hospitals, training

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/reference", responses=TERMINAL_ERROR_RESPONSES, tags=["reference"])
RegionQuery = Query(pattern=r"^\d{6}$", description="GB/T 2260 code of a county-level division")


class DivisionOut(BaseModel):
    code: str
    name: str
    level: str
    leaf: bool
    full_name: str


class DivisionList(BaseModel):
    parent: str | None
    items: list[DivisionOut]


class HospitalOut(BaseModel):
    code: str
    name: str
    level: str


class HospitalList(BaseModel):
    region: str
    items: list[HospitalOut]


class InstitutionOut(BaseModel):
    code: str
    name: str
    address: str


class CourseOut(BaseModel):
    id: str
    title: str
    occupation: str
    level: str
    institution: InstitutionOut
    starts_on: str
    hours: int
    subsidy_yuan: int


class CourseList(BaseModel):
    region: str
    items: list[CourseOut]


class InstitutionList(BaseModel):
    region: str
    items: list[InstitutionOut]


def _leaf(code: str) -> divisions.Division:
    found = divisions.division(code)
    if found is None or not found.leaf:
        raise ApiError(404, "region_not_found", "请选择到区县一级的地区", "Not a county-level division")
    return found


def _out(d: divisions.Division) -> DivisionOut:
    return DivisionOut(code=d.code, name=d.name, level=d.level, leaf=d.leaf, full_name=d.full_name)


@router.get("/divisions", response_model=DivisionList)
async def list_divisions(
    parent: str | None = Query(default=None, pattern=r"^\d{6}$", description="none: the provinces"),
    _terminal: Terminal = Depends(get_terminal),
) -> DivisionList:
    """The address picker: the divisions directly under ``parent`` (GB/T 2260)."""
    if parent is not None and divisions.division(parent) is None:
        raise ApiError(404, "region_not_found", "地区代码不存在", "No such division")
    return DivisionList(parent=parent, items=[_out(d) for d in divisions.children(parent)])


@router.get("/hospitals", response_model=HospitalList)
async def list_hospitals(region: str = RegionQuery, _terminal: Terminal = Depends(get_terminal)) -> HospitalList:
    """定点医疗机构 of a county-level division, for 异地就医备案."""
    _leaf(region)
    items = [HospitalOut(code=h.code, name=h.name, level=h.level) for h in hospitals.hospitals(region)]
    return HospitalList(region=region, items=items)


def _institution(i: training.Institution) -> InstitutionOut:
    return InstitutionOut(code=i.code, name=i.name, address=i.address)


@router.get("/training/institutions", response_model=InstitutionList)
async def list_institutions(region: str = RegionQuery, _terminal: Terminal = Depends(get_terminal)) -> InstitutionList:
    """Training institutions of a county-level division."""
    _leaf(region)
    return InstitutionList(region=region, items=[_institution(i) for i in training.institutions(region)])


@router.get("/training/courses", response_model=CourseList)
async def list_courses(region: str = RegionQuery, _terminal: Terminal = Depends(get_terminal)) -> CourseList:
    """The courses open for 就业创业培训报名 in a county-level division."""
    _leaf(region)
    today = dt.datetime.now(CHINA_TZ).date()
    items = [
        CourseOut(
            id=c.id,
            title=c.title,
            occupation=c.occupation,
            level=c.level,
            institution=_institution(c.institution),
            starts_on=c.starts_on.isoformat(),
            hours=c.hours,
            subsidy_yuan=c.subsidy_yuan,
        )
        for c in training.courses(region, today)
    ]
    return CourseList(region=region, items=items)
