"""What the gateway needs from a province's core social-security system.

The gateway never touches reference tables directly: every resident-data read goes through a
``ResidentDataSource``. The reference implementation (``SqlResidentDataSource``) reads the
gateway's own database; a deployment replaces it with an adapter to the core system. Records
are plain frozen dataclasses so adapters need no SQLAlchemy.
"""

from __future__ import annotations

import abc
import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from common.ssn import mask_ssn

logger = logging.getLogger(__name__)

INSURANCE_TYPES: dict[str, str] = {
    "110": "企业职工基本养老保险",
    "170": "城乡居民基本养老保险",
    "310": "职工基本医疗保险",
    "210": "失业保险",
    "410": "工伤保险",
    "510": "生育保险",
    "390": "城乡居民基本医疗保险",
}
ENROLMENT_STATUS_ZH = {"active": "参保缴费", "suspended": "暂停缴费", "terminated": "终止参保"}
CARD_STATUS_ZH = {"normal": "正常", "temp_lost": "临时挂失", "lost": "正式挂失", "cancelled": "注销"}
PRODUCTION_STAGE_ZH = {
    "applied": "已申请",
    "photo_checked": "照片已审核",
    "bank_produced": "银行制卡中",
    "city_received": "已到达发卡网点",
    "issued": "已领卡",
    # A card applied for at a terminal (server.applications: 社保卡申领, 补卡/换卡) after 已申请.
    "approved": "审核通过",
    "producing": "制卡中",
    "shipped": "已寄出",
}


@dataclass(frozen=True)
class PersonRecord:
    person_id: int
    ssn: str
    name: str
    gender: str
    birth_date: dt.date
    region: str
    phone: str | None
    address: str | None
    employment_status: str
    hukou_region: str | None = None  # 户籍地; None: the SSN's address code
    residence_permit_region: str | None = None  # 居住证
    student: bool = False

    def __repr__(self) -> str:
        return f"PersonRecord({mask_ssn(self.ssn)})"

    @property
    def hukou(self) -> str:
        return self.hukou_region or self.ssn[:6]


@dataclass(frozen=True)
class CardRecord:
    card_number: str
    status: str
    production_stage: str
    is_current: bool
    card_id: str
    issuing_region: str
    card_type: str
    spec_version: str
    issued_on: dt.date
    expires_on: dt.date
    tracking_number: str | None = None  # 已寄出: the courier's number


@dataclass(frozen=True)
class SkillCertificateRecord:
    """A 职业技能等级证书 on record."""

    number: str
    occupation: str
    level: str
    issued_on: dt.date


@dataclass(frozen=True)
class EnrolmentRecord:
    type_code: str
    status: str
    start_date: dt.date
    unit_name: str | None
    region: str


@dataclass(frozen=True)
class InsuranceOverview:
    """参保信息 in one read: the person, one enrolment per insurance type, the 养老 months paid."""

    person: PersonRecord
    enrolments: list[EnrolmentRecord]
    months_paid: int
    first_paid_period: str | None


@dataclass(frozen=True)
class ContributionRecord:
    period: str
    type_code: str
    base: Decimal
    personal_amount: Decimal
    unit_amount: Decimal
    paid: bool
    unit_name: str | None
    region: str


@dataclass(frozen=True)
class ContributionPage:
    items: list[ContributionRecord]
    total_items: int
    months: int
    personal_total: Decimal
    unit_total: Decimal


@dataclass(frozen=True)
class BenefitRecord:
    kind: str
    period: str
    amount: Decimal
    paid_on: dt.date | None
    status: str


@dataclass(frozen=True)
class YearSummary:
    """One row of the 个人权益单: a year of 养老 contributions and the personal account."""

    year: int
    months_paid: int
    average_base: Decimal
    personal_total: Decimal
    unit_total: Decimal
    account_balance: Decimal
    by_type: dict[str, dict[str, str]] = field(default_factory=dict)


class ResidentDataSource(abc.ABC):
    """Read access to the resident records of the core system (all methods by 社会保障号码)."""

    @abc.abstractmethod
    def find_person(self, ssn: str) -> PersonRecord | None:
        """The person with this number, or None."""

    @abc.abstractmethod
    def cards(self, ssn: str) -> list[CardRecord]:
        """All cards of the person, current first. A 临时挂失 past its lapse reads as normal."""

    @abc.abstractmethod
    def enrolments(self, ssn: str) -> list[EnrolmentRecord]:
        """参保信息, one record per insurance type."""

    @abc.abstractmethod
    def contributions(
        self, ssn: str, from_period: str | None, to_period: str | None, type_code: str | None, page: int, page_size: int
    ) -> ContributionPage:
        """缴费明细 in ``[from_period, to_period]`` (inclusive, YYYY-MM), newest first, with totals of the range."""

    @abc.abstractmethod
    def paid_months(self, ssn: str, type_code: str = "110") -> tuple[int, str | None]:
        """(number of paid months, first paid period) of one insurance type."""

    def insurance_overview(self, ssn: str) -> InsuranceOverview | None:
        """参保信息 of the person (养老 months paid), or None when there is no such person.

        Composed of the calls above; a source that can answer it in one request (one statement,
        one call to the core system) overrides it: it is the busiest query of a terminal.
        """
        person = self.find_person(ssn)
        if person is None:
            return None
        months, first = self.paid_months(ssn)
        return InsuranceOverview(person, self.enrolments(ssn), months, first)

    @abc.abstractmethod
    def benefit_payments(self, ssn: str, kind: str | None = None) -> list[BenefitRecord]:
        """待遇发放记录, newest first."""

    @abc.abstractmethod
    def yearly_summary(self, ssn: str, from_year: int, to_year: int) -> list[YearSummary]:
        """个人权益单 rows for the years in range, oldest first."""

    @abc.abstractmethod
    def set_card_status(self, ssn: str, card_number: str, status: str) -> None:
        """挂失 / 解挂 on the core system."""

    @abc.abstractmethod
    def update_contact(self, ssn: str, phone: str | None, address: str | None) -> None:
        """个人资料修改."""

    def skill_certificates(self, ssn: str) -> list[SkillCertificateRecord]:
        """职业技能等级证书 on record (职业培训补贴); a source without them has none."""
        return []

    def writer(self, db: Any) -> Any:
        """The writes of the back office (server.applications.effects.ResidentWriter) inside the
        gateway's transaction ``db``, so an application and its effect commit together.

        The reference source writes its own tables in ``db``; an adapter to a core system must
        make its writes just as atomic with the application (its own outbox, say) and override this.
        """
        raise NotImplementedError("this resident data source cannot write inside the gateway's transaction")
