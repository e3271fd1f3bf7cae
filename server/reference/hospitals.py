"""定点医疗机构 of a region for 异地就医备案, generated from the division's name (deterministic).

A county-level division (or a city without counties) has five to eight hospitals named the way
Chinese hospitals are (昆山市第一人民医院, 昆山市中医医院, ...), each with an NHSA-style code:
``H`` + the division code + five digits.
"""

from __future__ import annotations

import hashlib
import logging
import random
from dataclasses import dataclass
from functools import lru_cache

from server.reference.divisions import division

logger = logging.getLogger(__name__)

HOSPITAL_KINDS = [
    "人民医院",
    "第一人民医院",
    "第二人民医院",
    "中医医院",
    "妇幼保健院",
    "中西医结合医院",
    "第三人民医院",
    "康复医院",
    "口腔医院",
    "肿瘤医院",
]
HOSPITAL_LEVELS = ["三级甲等", "三级乙等", "二级甲等", "二级乙等", "一级"]
HOSPITAL_CODE_PATTERN = r"^H\d{11}$"


@dataclass(frozen=True)
class Hospital:
    code: str
    name: str
    level: str
    region: str


def _rng(key: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


@lru_cache(maxsize=512)
def hospitals(region: str) -> tuple[Hospital, ...]:
    """The hospitals of a leaf division (county-level, or a city without counties); none elsewhere."""
    found = division(region)
    if found is None or not found.leaf:
        return ()
    rng = _rng(f"hospitals:{region}")
    kinds = HOSPITAL_KINDS[:3] + rng.sample(HOSPITAL_KINDS[3:], rng.randint(2, 5))
    return tuple(
        Hospital(f"H{region}{n + 1:05d}", f"{found.name}{kind}", HOSPITAL_LEVELS[min(n, 4)], region)
        for n, kind in enumerate(kinds)
    )


def hospital(code: str) -> Hospital | None:
    """The hospital with this code, or None."""
    return next((h for h in hospitals(code[1:7]) if h.code == code), None) if len(code) == 12 else None
