"""The demo data's building blocks: regions and their wages, contribution rates, names, units,
cards, the derived demo PIN, and the ``DemoPerson`` record. Used by server.demo_data (the people
and their histories) and server.demo_household (the household members the back office's rules need).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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
        # Ten years on; a card issued on 29 February expires on the 28th (no 29th in most years).
        "expires_on": issued.replace(
            year=issued.year + 10, day=min(issued.day, 28) if issued.month == 2 else issued.day
        ),
    }


def contribution_rows(year: int, month: int, base: Decimal, paid: bool, unit_code: str, region: str) -> list[dict]:
    """One month's contribution records, one per insurance type, at ``base`` and the RATES."""
    return [
        {
            "type_code": code,
            "period": _period(year, month),
            "base": base,
            "personal_amount": _money(base * personal),
            "unit_amount": _money(base * unit),
            "paid": paid,
            "unit_code": unit_code,
            "region": region,
        }
        for code, (personal, unit) in RATES.items()
    ]
