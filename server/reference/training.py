"""Training institutions and courses (就业创业培训报名) and the occupations of 职业技能等级证书.

Generated per region, deterministically: three to five institutions named after the place
(昆山市鼎盛职业培训学校), each offering courses in occupations of the national occupation
classification at a skill level, with dates, hours and the subsidy a completed course earns.
Course ids: ``C`` + region + institution (2 digits) + course (2 digits).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
from dataclasses import dataclass
from functools import lru_cache

from server.reference.divisions import division, short_name

logger = logging.getLogger(__name__)

OCCUPATIONS = [
    "电工",
    "焊工",
    "育婴员",
    "保育师",
    "家政服务员",
    "养老护理员",
    "中式烹调师",
    "中式面点师",
    "美容师",
    "美发师",
    "电子商务师",
    "网约配送员",
    "互联网营销师",
    "汽车维修工",
    "数控车工",
    "叉车司机",
    "茶艺师",
    "保安员",
    "健康管理师",
    "工业机器人系统操作员",
]
SKILL_LEVELS = ["五级", "四级", "三级", "二级"]
SUBSIDY = {"五级": 800, "四级": 1200, "三级": 1800, "二级": 2500}  # yuan, by level
SCHOOL_WORDS = "鼎盛华信恒通金桥育才启航博文远航新程众力"
COURSE_ID_PATTERN = r"^C\d{10}$"


@dataclass(frozen=True)
class Institution:
    code: str
    name: str
    region: str
    address: str


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    occupation: str
    level: str
    institution: Institution
    starts_on: dt.date
    hours: int
    subsidy_yuan: int


def _rng(key: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


@lru_cache(maxsize=256)
def institutions(region: str) -> tuple[Institution, ...]:
    """The training institutions of a leaf division; none elsewhere."""
    found = division(region)
    if found is None or not found.leaf:
        return ()
    rng = _rng(f"institutions:{region}")
    place = short_name(found.name)
    words = rng.sample(range(0, len(SCHOOL_WORDS), 2), rng.randint(3, 5))
    return tuple(
        Institution(
            f"I{region}{n + 1:02d}",
            f"{place}{SCHOOL_WORDS[w : w + 2]}职业培训学校",
            region,
            f"{found.full_name}{rng.choice(['人民路', '前进路', '学府路', '创业路'])}{rng.randint(1, 300)}号",
        )
        for n, w in enumerate(words)
    )


@lru_cache(maxsize=256)
def _courses(region: str, year: int, month: int) -> tuple[Course, ...]:
    out: list[Course] = []
    for n, inst in enumerate(institutions(region)):
        rng = _rng(f"courses:{inst.code}:{year}-{month:02d}")
        for k, occupation in enumerate(rng.sample(OCCUPATIONS, rng.randint(3, 6))):
            level = rng.choice(SKILL_LEVELS[:3])
            # Next month's classes: none has started while this month's list is shown.
            start = dt.date(year + month // 12, month % 12 + 1, 1) + dt.timedelta(days=rng.randint(0, 45))
            out.append(
                Course(
                    f"C{region}{n + 1:02d}{k + 1:02d}",
                    f"{occupation}（{level}）培训班",
                    occupation,
                    level,
                    inst,
                    start,
                    rng.choice([40, 60, 80, 120]),
                    SUBSIDY[level],
                )
            )
    return tuple(out)


def courses(region: str, today: dt.date | None = None) -> tuple[Course, ...]:
    """The courses open for sign-up in ``region`` this month (they start in the next weeks)."""
    today = today or dt.date.today()
    return _courses(region, today.year, today.month)


def course(course_id: str, today: dt.date | None = None) -> Course | None:
    """The open course with this id, or None."""
    return next((c for c in courses(course_id[1:7], today) if c.id == course_id), None)
