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
import hashlib
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from common.ssn import make_ssn

logger = logging.getLogger(__name__)

# code, name, average monthly wage used as the typical contribution base in the reference year 2024.
REGIONS: list[tuple[str, str, int]] = [
    ("320583", "江苏省昆山市", 8600),
    ("441900", "广东省东莞市", 7200),
    ("330106", "浙江省杭州市西湖区", 9800),
    ("110105", "北京市朝阳区", 12000),
    ("440305", "广东省深圳市南山区", 12500),
    ("310115", "上海市浦东新区", 12300),
    ("510107", "四川省成都市武侯区", 7600),
    ("420106", "湖北省武汉市武昌区", 7900),
]
REGION_NAMES = {code: name for code, name, _ in REGIONS}
BIRTH_PLACES = [
    "320583",
    "441900",
    "330106",
    "110105",
    "440305",
    "310115",
    "510107",
    "420106",
    "411302",
    "430104",
    "360102",
    "512501",
    "341202",
    "370102",
    "130102",
    "450103",
]
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
COMPOUND_FAMILY = ["欧阳", "司马", "诸葛", "上官"]
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林洋峰建国志文博晨阳"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲燕红梅琳颖婷雪慧莹晶倩琴云洁婧瑶佳欣怡萍丹璐薇蓉悦"
UNIT_WORDS = [
    "精密机械",
    "电子科技",
    "纺织",
    "物流",
    "食品",
    "光电",
    "新材料",
    "软件",
    "医疗器械",
    "建设工程",
    "商贸",
    "汽车零部件",
    "餐饮管理",
    "家具",
    "模具",
    "网络科技",
]
UNIT_FORMS = ["有限公司", "股份有限公司", "有限责任公司"]
STREETS = ["人民路", "长江路", "中山路", "解放大道", "建设路", "文化路", "新华街", "青年路", "朝阳路", "湖滨路"]
ETHNICITIES = ["01"] * 18 + ["03", "04", "08", "02", "06", "05"]

# (personal rate, unit rate) per insurance type; 工伤 and 生育 are paid by the unit only.
RATES: dict[str, tuple[Decimal, Decimal]] = {
    "110": (Decimal("0.08"), Decimal("0.16")),
    "310": (Decimal("0.02"), Decimal("0.08")),
    "210": (Decimal("0.005"), Decimal("0.005")),
    "410": (Decimal("0"), Decimal("0.004")),
    "510": (Decimal("0"), Decimal("0.008")),
}
CENT = Decimal("0.01")
EMPLOYED, RETIRED, UNEMPLOYED = "employed", "retired", "unemployed"


def demo_pin(seed: int, ssn: str) -> str:
    """The 6-digit card PIN of a generated person (derived, never stored)."""
    digest = hashlib.sha256(f"renshe-demo-pin:{seed}:{ssn}".encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def _period(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    total = year * 12 + (month - 1) + n
    return total // 12, total % 12 + 1


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class DemoPerson:
    """A generated person with their whole history, ready to insert."""

    ssn: str
    name: str
    gender: str
    birth_date: dt.date
    ethnicity: str
    birth_place: str
    region: str
    phone: str
    address: str
    employment_status: str
    pin: str
    cards: list[dict[str, Any]] = field(default_factory=list)
    enrolments: list[dict[str, Any]] = field(default_factory=list)
    contributions: list[dict[str, Any]] = field(default_factory=list)
    benefits: list[dict[str, Any]] = field(default_factory=list)
    units: list[tuple[str, str, str]] = field(default_factory=list)  # (code, name, region) used
    # 户籍地 (None: the SSN's address code), 居住证 region, 在校学生, 职业技能等级证书 on record.
    hukou_region: str | None = None
    residence_permit_region: str | None = None
    student: bool = False
    certificates: list[dict[str, Any]] = field(default_factory=list)
    # Members of the household whose situations the back office's rules need (server.demo_household):
    # seeded after the person, never counted in ``n``.
    household: list[DemoPerson] = field(default_factory=list)

    @property
    def current_card(self) -> dict[str, Any]:
        return next(c for c in self.cards if c["is_current"])

    def card_json(self) -> dict[str, Any]:
        """CardData JSON fields (kiosk.models.CardData.to_json) of the current card, plus ``pin``."""
        return card_profile(
            self.ssn,
            self.name,
            self.gender,
            self.ethnicity,
            self.birth_date,
            self.birth_place,
            self.current_card,
            self.pin,
        )

    def __repr__(self) -> str:
        return f"DemoPerson({self.ssn[:4]}…)"


def card_profile(
    ssn: str,
    name: str,
    gender: str,
    ethnicity: str,
    birth_date: dt.date,
    birth_place: str,
    card: dict[str, Any],
    pin: str,
) -> dict[str, Any]:
    return {
        "ssn": ssn,
        "name": name,
        "gender": gender,
        "ethnicity": ethnicity,
        "birth_date": birth_date.isoformat(),
        "birth_place": birth_place,
        "card_number": card["card_number"],
        "card_id": card["card_id"],
        "issuing_region": card["issuing_region"],
        "card_type": card["card_type"],
        "spec_version": card["spec_version"],
        "issued_on": card["issued_on"].isoformat(),
        "expires_on": card["expires_on"].isoformat(),
        "pin": pin,
        "card_status": card["status"],
    }


def _name(rng: random.Random, gender: str) -> str:
    family = rng.choice(COMPOUND_FAMILY) if rng.random() < 0.03 else rng.choice(FAMILY)
    pool = GIVEN_MALE if gender == "1" else GIVEN_FEMALE
    given = "".join(rng.choice(pool) for _ in range(1 if rng.random() < 0.3 else 2))
    return family + given


def _unit(rng: random.Random, region: str) -> tuple[str, str, str]:
    city = REGION_NAMES[region].split("省")[-1][:2]
    name = f"{city}{rng.choice('恒盛华鼎鑫源瑞达宏泰金辉')}{rng.choice('兴达通信利发安昌')}{rng.choice(UNIT_WORDS)}{rng.choice(UNIT_FORMS)}"
    code = "91" + region + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(10))
    return code, name, region


def _card(
    rng: random.Random, region: str, status: str, stage: str, is_current: bool, issued: dt.date
) -> dict[str, Any]:
    number = rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + f"{rng.randrange(10**8):08d}"
    version = "3.00" if issued.year >= 2018 else "2.00"
    return {
        "card_number": number,
        "status": status,
        "production_stage": stage,
        "is_current": is_current,
        "card_id": (region + "D15600000" + "5" + f"{rng.getrandbits(64):016X}").upper(),
        "issuing_region": region,
        "card_type": "3",
        "spec_version": version,
        "issued_on": issued,
        "expires_on": issued.replace(year=issued.year + 10),
    }


def _person(i: int, seed: int, as_of: dt.date, member: int | None = None) -> DemoPerson:
    """Person ``i`` of the stream, or with ``member`` its household member of that number (see
    server.demo_household; made here so whoever wraps ``_person`` sees every generated person)."""
    if member is not None:
        from server.demo_household import household_member  # it builds on this module's helpers

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
    from server.demo_household import add_facts

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
        for code, (pr, ur) in RATES.items():
            first_date.setdefault(code, dt.date(y, m, 1))
            p.contributions.append(
                {
                    "type_code": code,
                    "period": _period(y, m),
                    "base": base,
                    "personal_amount": _money(base * pr),
                    "unit_amount": _money(base * ur),
                    "paid": paid,
                    "unit_code": unit[0],
                    "region": spell_region,
                }
            )
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
    from server.demo_household import members_of

    return members_of(i)


def generate_people(n: int, seed: int, as_of: dt.date | None = None) -> list[DemoPerson]:
    """``n`` generated persons in a list (tests, small demos); see ``iter_people``."""
    return list(iter_people(n, seed, as_of))
