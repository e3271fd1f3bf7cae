"""Household members of the demo people: the situations the back office's rules must tell apart.

The main stream (``server.demo_data``) makes working, retired and unemployed adults who all hold a
card and decades of contributions; the rules of 失业保险金, 失业补助金, 城乡居民养老保险, 社保卡申领
and the 居住证 route of 失业登记 also need people who lost their job last month, who worked only
a few months, whose benefit ran out, children, students, residents outside the employees' scheme
and migrants with a 居住证. Stream ``i`` gets the member of scenario ``i % 20`` when there is one
(``SCENARIOS``), from a random stream of its own, so the main people never change and every run of
twenty persons has each situation once.

``add_facts`` gives the main people the facts those rules read: 户籍地 (their SSN's address code),
a 居住证 for every other one registered away from home, and 职业技能等级证书 (recent ones, which
职业培训补贴 accepts, and ones too old for it).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from decimal import Decimal
from typing import Any

from common.ssn import make_ssn
from server.demo_basics import (
    BIRTH_PLACES,
    ETHNICITIES,
    RATES,
    REGION_NAMES,
    REGIONS,
    RETIRED,
    STREETS,
    UNEMPLOYED,
    DemoPerson,
    _add_months,
    _card,
    _money,
    _name,
    _period,
    _unit,
    contribution_rows,
    demo_pin,
)
from server.reference.training import OCCUPATIONS, SKILL_LEVELS

logger = logging.getLogger(__name__)

STUDENT, RESIDENT = "student", "resident"
# i % 20 → scenario. Slot numbers are also the member numbers handed to ``demo_data._person``.
SCENARIOS: dict[int, str] = {
    1: "laid_off",  # lost the job 1-3 months ago after years of work: 失业登记, then 失业保险金
    2: "short_spell",  # 6-10 months of work only: no 失业保险金, but 失业补助金
    3: "exhausted",  # drew all 12 months of 失业保险金: 失业补助金; 户籍 elsewhere, no 居住证
    4: "child",  # under 16: a guardian applies for the card; not in 城乡居民养老保险
    6: "student",  # 16-19 and at school: not in 城乡居民养老保险
    8: "rural",  # never in the employees' scheme, no card yet: 城乡居民养老保险, 社保卡申领
    9: "migrant",  # lost the job recently, 户籍 elsewhere with a 居住证 here
}
RESIDENT_MEDICAL = "390"  # 城乡居民基本医疗保险


def members_of(i: int) -> list[int]:
    """The member numbers stream ``i`` has: its scenario slot, or none."""
    return [i % 20] if i % 20 in SCENARIOS else []


def add_facts(person: DemoPerson, i: int, seed: int, as_of: dt.date) -> None:
    """户籍, 居住证 and skill certificates of a main-stream person (a stream of its own)."""
    rng = random.Random(f"{seed}:facts:{i}")
    person.hukou_region = person.ssn[:6]
    if person.hukou_region != person.region and i % 2 == 0:
        person.residence_permit_region = person.region
    if person.employment_status == RETIRED:
        return
    if i % 5 == 0:
        _certificate(person, rng, as_of - dt.timedelta(days=rng.randint(10, 300)))
    elif i % 5 == 2:
        _certificate(person, rng, as_of - dt.timedelta(days=rng.randint(450, 900)))


def _certificate(person: DemoPerson, rng: random.Random, issued: dt.date) -> None:
    # 职业技能等级证书 numbers: a letter, the issuing region, the year and an 8-digit serial.
    number = f"S{person.region}{issued.year:04d}{rng.randrange(10**8):08d}"
    person.certificates.append(
        {
            "number": number,
            "occupation": rng.choice(OCCUPATIONS),
            "level": rng.choice(SKILL_LEVELS),
            "issued_on": issued,
        }
    )


def _years_ago(as_of: dt.date, rng: random.Random, low: int, high: int) -> dt.date:
    return as_of - dt.timedelta(days=rng.randint(low * 365 + 30, high * 365 + 300))


def household_member(i: int, seed: int, as_of: dt.date, slot: int) -> DemoPerson:
    """Member ``slot`` (a key of ``SCENARIOS``) of stream ``i``'s household."""
    scenario = SCENARIOS[slot]
    rng = random.Random(f"{seed}:household:{i}:{slot}")
    region = random.Random(f"{seed}:person:{i}").choice(REGIONS)[0]  # the main person's first draw
    away = [code for code in BIRTH_PLACES if code != region]
    hukou = rng.choice(away) if scenario in ("exhausted", "migrant") else region
    ages = {"child": (6, 15), "student": (16, 19), "short_spell": (20, 26), "rural": (30, 55)}
    birth = _years_ago(as_of, rng, *ages.get(scenario, (28, 50)))
    gender = rng.choice("12")
    ssn = make_ssn(hukou, birth, rng.randrange(0, 500) * 2 + (1 if gender == "1" else 0))
    person = DemoPerson(
        ssn=ssn,
        name=_name(rng, gender),
        gender=gender,
        birth_date=birth,
        ethnicity=rng.choice(ETHNICITIES),
        birth_place=ssn[:6],
        region=region,
        phone="1" + rng.choice("3456789") + f"{rng.randrange(10**9):09d}",
        address=f"{REGION_NAMES[region]}{rng.choice(STREETS)}{rng.randint(1, 999)}号",
        employment_status=UNEMPLOYED,
        pin=demo_pin(seed, ssn),
        hukou_region=hukou,
        residence_permit_region=region if scenario == "migrant" else None,
    )
    if scenario != "rural":  # the rural resident applies for a first card at the terminal
        issued = as_of - dt.timedelta(days=rng.randint(200, 1500))
        person.cards.append(_card(rng, region, "normal", "issued", True, issued))
    last = _add_months(as_of.year, as_of.month, -1)
    if scenario in ("child", "student", "rural"):
        person.employment_status = RESIDENT if scenario == "rural" else STUDENT
        person.student = scenario != "rural"
        start = birth + dt.timedelta(days=60) if scenario != "rural" else dt.date(2012, 1, 1)
        person.enrolments.append(_enrolment(RESIDENT_MEDICAL, "active", start, None, region))
        return person
    months = {"short_spell": rng.randint(6, 10), "exhausted": 36}.get(scenario, rng.randint(36, 120))
    gap = {"short_spell": rng.randint(1, 2), "exhausted": 18}.get(scenario, rng.randint(1, 3))
    stop = _add_months(*last, -gap + 1)
    _work(person, rng, _add_months(*stop, -months + 1), stop, region)
    if scenario == "exhausted":  # 3 years of contributions: 12 months of 失业保险金, all drawn
        amount = _money(Decimal(rng.randint(1700, 2300)))
        y, m = _add_months(*stop, 2)
        for _ in range(12):
            person.benefits.append(
                {"kind": "unemployment", "period": _period(y, m), "amount": amount, "paid_on": dt.date(y, m, 10)}
                | {"status": "paid"}
            )
            y, m = _add_months(y, m, 1)
    if scenario == "laid_off":
        _certificate(person, rng, as_of - dt.timedelta(days=rng.randint(20, 200)))
    return person


def _enrolment(code: str, status: str, start: dt.date, unit: str | None, region: str) -> dict[str, Any]:
    return {"type_code": code, "status": status, "start_date": start, "unit_code": unit, "region": region}


def _work(person: DemoPerson, rng: random.Random, start: tuple[int, int], stop: tuple[int, int], region: str) -> None:
    """One job in ``region`` from ``start`` to ``stop`` (inclusive), every month paid; the
    enrolments are suspended afterwards (the person is unemployed)."""
    unit = _unit(rng, region)
    person.units.append(unit)
    wage = {code: w for code, _, w in REGIONS}[region]
    base = Decimal(round(wage * rng.uniform(0.7, 1.3)))
    y, m = start
    while (y, m) <= stop:
        person.contributions.extend(contribution_rows(y, m, base, True, unit[0], region))
        y, m = _add_months(y, m, 1)
    first = dt.date(start[0], start[1], 1)
    person.enrolments.extend(_enrolment(code, "suspended", first, unit[0], region) for code in RATES)
