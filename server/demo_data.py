"""Deterministic, realistic demo data: persons, units, enrolments, contributions, benefits, cards.

``generate_people(n, seed, as_of)`` builds everything in memory (pure, for tests);
``server.seeding.seed_database(session, n, seed)`` writes it. Identities (SSN, name, card, PIN) depend on
the seed only; contribution histories run up to the month before ``as_of`` (default: now),
so the same seed gives the same people on any day. Each person draws from its own
``random.Random`` stream, so person ``i`` does not change when ``n`` grows.

Demo PINs are not stored: ``demo_pin(seed, ssn)`` derives them, and the seed is kept in
``server_meta`` so ``server.seeding.demo_card_profiles`` can rebuild virtual cards for seeded persons.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterator
from decimal import Decimal

from common.ssn import make_ssn
from server.demo_basics import (
    BIRTH_PLACES,
    EMPLOYED,
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
from server.demo_household import add_facts, household_member, members_of

logger = logging.getLogger(__name__)


def _person(i: int, seed: int, as_of: dt.date, member: int | None = None) -> DemoPerson:
    """Person ``i`` of the stream, or with ``member`` its household member of that number (see
    server.demo_household; made here so whoever wraps ``_person`` sees every generated person)."""
    if member is not None:
        return household_member(i, seed, as_of, member)
    rng = random.Random(f"{seed}:person:{i}")
    region = rng.choice(REGIONS)[0]
    gender = rng.choice("12")
    birth = dt.date(1958, 1, 1) + dt.timedelta(days=rng.randrange((dt.date(1995, 12, 31) - dt.date(1958, 1, 1)).days))
    sequence = rng.randrange(0, 500) * 2 + (1 if gender == "1" else 0)
    ssn = make_ssn(rng.choice(BIRTH_PLACES) if rng.random() < 0.3 else region, birth, sequence)
    person = DemoPerson(
        ssn=ssn,
        name=_name(rng, gender),
        gender=gender,
        birth_date=birth,
        ethnicity=rng.choice(ETHNICITIES),
        birth_place=ssn[:6],
        region=region,
        phone="1" + rng.choice("3456789") + f"{rng.randrange(10**9):09d}",
        address=f"{REGION_NAMES[region]}{rng.choice(STREETS)}{rng.randint(1, 999)}号{rng.randint(1, 30)}栋"
        f"{rng.randint(1, 30)}{rng.randint(1, 4):02d}室",
        employment_status=EMPLOYED,
        pin=demo_pin(seed, ssn),
    )
    # Cards: every status appears in any run of ten persons (demo and tests rely on that).
    issued = dt.date(rng.randint(2017, 2024), rng.randint(1, 12), rng.randint(1, 28))
    slot = i % 10
    if slot == 5:  # lost card replaced; the new card is still being produced (制卡进度)
        person.cards.append(_card(rng, region, "lost", "issued", False, issued))
        person.cards.append(
            _card(
                rng,
                region,
                "normal",
                rng.choice(["applied", "photo_checked", "bank_produced", "city_received"]),
                True,
                as_of - dt.timedelta(days=rng.randint(5, 40)),
            )
        )
    else:
        status = {3: "temp_lost", 7: "lost"}.get(slot, "normal")
        person.cards.append(_card(rng, region, status, "issued", True, issued))
    _history(person, random.Random(f"{seed}:history:{i}"), as_of)
    # The back office's facts draw from streams of their own: the people above stay as they were.

    add_facts(person, i, seed, as_of)
    return person


def _history(p: DemoPerson, rng: random.Random, as_of: dt.date) -> None:
    """Jobs with gaps and city transfers, yearly base changes in July, retirement or unemployment."""
    end_y, end_m = _add_months(as_of.year, as_of.month, -1)  # the last period that can be paid
    retire_age = 60 if p.gender == "1" else 55
    retire_y, retire_m = p.birth_date.year + retire_age, p.birth_date.month
    retired = (retire_y, retire_m) <= (end_y, end_m)
    stop_y, stop_m = (retire_y, retire_m) if retired else (end_y, end_m)
    years = rng.randint(10, 30)
    start_y = max(p.birth_date.year + 19, stop_y - years, 1996)
    y, m = start_y, rng.randint(1, 12)
    if not retired and rng.random() < 0.15:
        p.employment_status = UNEMPLOYED
        stop_y, stop_m = _add_months(end_y, end_m, -rng.randint(2, 14))
    elif retired:
        p.employment_status = RETIRED
    # Cities: an earlier spell elsewhere for about a third of the people (社保关系转移).
    regions = [p.region]
    if rng.random() < 0.35:
        regions.insert(0, rng.choice([r for r, _, _ in REGIONS if r != p.region]))
    avg = {code: wage for code, _, wage in REGIONS}
    spell_region = regions[0]
    factor = Decimal(str(round(rng.uniform(0.6, 1.8), 2)))
    unit = _unit(rng, spell_region)
    p.units.append(unit)
    first_date: dict[str, dt.date] = {}
    months_total = (stop_y * 12 + stop_m) - (y * 12 + m) + 1
    switch_at = (
        rng.randint(months_total // 3, max(months_total // 3, 2 * months_total // 3)) if len(regions) > 1 else -1
    )
    base = Decimal(0)
    k = 0
    while (y, m) <= (stop_y, stop_m):
        if k == switch_at:  # transfer to the current city, usually after a gap
            spell_region = p.region
            unit = _unit(rng, spell_region)
            p.units.append(unit)
            y, m = _add_months(y, m, rng.randint(0, 6))
            base = Decimal(0)
            if (y, m) > (stop_y, stop_m):
                break
        elif rng.random() < 0.006:  # job change, sometimes with months without contributions
            unit = _unit(rng, spell_region)
            p.units.append(unit)
            y, m = _add_months(y, m, rng.randint(0, 8))
            if (y, m) > (stop_y, stop_m):
                break
        if base == 0 or m == 7:
            # Bases follow wages: 2024 reference wage scaled back ~7% a year, reset each July.
            scale = Decimal(str(round(0.93 ** max(2024 - y, 0) * 1.07 ** max(y - 2024, 0), 4)))
            base = _money(Decimal(avg[spell_region]) * factor * scale * Decimal(str(round(rng.uniform(0.95, 1.08), 3))))
            base = base.quantize(Decimal(1))
        paid = not ((y, m) == (end_y, end_m) and rng.random() < 0.3) and rng.random() > 0.01
        for code in RATES:
            first_date.setdefault(code, dt.date(y, m, 1))
        p.contributions.extend(contribution_rows(y, m, base, paid, unit[0], spell_region))
        y, m = _add_months(y, m, 1)
        k += 1
    status = "terminated" if retired else ("suspended" if p.employment_status == UNEMPLOYED else "active")
    for code, start in first_date.items():
        enrol_status = "active" if code == "310" and retired else status  # retirees keep 医疗
        p.enrolments.append(
            {
                "type_code": code,
                "status": enrol_status,
                "start_date": start,
                "unit_code": None if retired else unit[0],
                "region": p.region,
            }
        )
    _benefits(p, rng, retired, (retire_y, retire_m), (stop_y, stop_m), (end_y, end_m))


def _benefits(
    p: DemoPerson,
    rng: random.Random,
    retired: bool,
    retire: tuple[int, int],
    stop: tuple[int, int],
    end: tuple[int, int],
) -> None:
    if retired:
        amount = _money(Decimal(rng.randint(2800, 6500)))
        y, m = _add_months(*retire, 1)
        while (y, m) <= end:
            if m == 1:  # yearly pension adjustment
                amount = _money(amount * Decimal("1.03"))
            p.benefits.append(
                {
                    "kind": "pension",
                    "period": _period(y, m),
                    "amount": amount,
                    "paid_on": dt.date(y, m, 15),
                    "status": "paid",
                }
            )
            y, m = _add_months(y, m, 1)
    elif p.employment_status == UNEMPLOYED:
        amount = _money(Decimal(rng.randint(1700, 2500)))
        y, m = _add_months(*stop, 2)
        for _ in range(24):
            if (y, m) > end:
                break
            p.benefits.append(
                {
                    "kind": "unemployment",
                    "period": _period(y, m),
                    "amount": amount,
                    "paid_on": dt.date(y, m, 10),
                    "status": "paid",
                }
            )
            y, m = _add_months(y, m, 1)


def iter_people(n: int, seed: int, as_of: dt.date | None = None) -> Iterator[DemoPerson]:
    """``n`` generated persons one at a time, deterministic for (``seed``, ``as_of``); SSNs and card
    numbers unique. A generator, so 100 000 persons (about 10^8 contribution rows) never sit in memory.
    Each carries its household members (``DemoPerson.household``, server.demo_household): about one
    more person for every three, not counted in ``n``."""
    as_of = as_of or dt.date.today()
    seen_ssn: set[str] = set()
    seen_cards: set[str] = set()
    made = 0
    i = 0
    while made < n:
        person = _person(i, seed, as_of)
        numbers = {c["card_number"] for c in person.cards}
        if person.ssn in seen_ssn or numbers & seen_cards:
            i += 1
            continue  # a rare collision: skip this stream, deterministically
        seen_ssn.add(person.ssn)
        seen_cards |= numbers
        for k in household_slots(i):
            member = _person(i, seed, as_of, member=k)
            member_numbers = {c["card_number"] for c in member.cards}
            if member.ssn in seen_ssn or member_numbers & seen_cards:
                continue  # as rare, and as deterministic: this member is left out
            seen_ssn.add(member.ssn)
            seen_cards |= member_numbers
            person.household.append(member)
        i += 1
        made += 1
        yield person


def household_slots(i: int) -> list[int]:
    """The household members stream ``i`` has (server.demo_household.SCENARIOS)."""

    return members_of(i)


def generate_people(n: int, seed: int, as_of: dt.date | None = None) -> list[DemoPerson]:
    """``n`` generated persons in a list (tests, small demos); see ``iter_people``."""
    return list(iter_people(n, seed, as_of))
