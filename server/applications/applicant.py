"""What the rules know about the resident applying, and what a rule answers.

``Applicant`` reads the records once per submission (through the resident data source, plus the
gateway's own applications in the request's transaction) and answers the questions the rules ask
in their terms: age, insured employment, registered unemployed, drawing a benefit, open
applications. A rule returns a ``Decision`` (the status it lands in, what it computed, the effect
to write) or raises ``refuse(...)`` / ``invalid(...)``: bilingual ApiErrors, 409 when the resident
may not apply, 422 when the form is wrong.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.applications.catalogue import LEGACY_KINDS
from server.applications.settings import BackOfficeSettings
from server.certificates import CHINA_TZ
from server.errors import ApiError
from server.models import Application, ResidentSession
from server.reference.divisions import full_name
from server.store.base import (
    BenefitRecord,
    CardRecord,
    EnrolmentRecord,
    PersonRecord,
    ResidentDataSource,
    SkillCertificateRecord,
)

logger = logging.getLogger(__name__)

# Statutory retirement ages of the records (the demo data retires men at 60 and women at 55).
RETIREMENT_AGE = {"1": 60, "2": 55}
MIN_WORKING_AGE = 16


def refuse(code: str, zh: str, en: str) -> ApiError:
    """The resident may not apply (409)."""
    return ApiError(409, code, zh, en)


def invalid(code: str, zh: str, en: str) -> ApiError:
    """The form is wrong (422)."""
    return ApiError(422, code, zh, en)


@dataclass
class Decision:
    """A rule's answer: the status the application lands in, the note of that status, what the rule
    computed (shown on the receipt and to staff, ``{label: value}``), and the effect to write in the
    same transaction (``effect(writer, details)``; it may add to ``details``)."""

    status: str
    note: str
    details: dict[str, Any] = field(default_factory=dict)
    effect: Callable[[Any, dict[str, Any]], None] | None = None


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def shift(period: str, months: int) -> str:
    total = int(period[:4]) * 12 + int(period[5:7]) - 1 + months
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


class Applicant:
    """The resident of a submission, their records read lazily and once."""

    def __init__(
        self,
        db: Session,
        source: ResidentDataSource,
        person: PersonRecord,
        session_id: str,
        terminal_id: str,
        settings: BackOfficeSettings,
        now: dt.datetime,
    ) -> None:
        self.db = db
        self.source = source
        self.person = person
        self.session_id = session_id
        self.terminal_id = terminal_id
        self.settings = settings
        self.now = now
        self.today = now.astimezone(CHINA_TZ).date()

    # ------------------------------------------------------------------ the person
    @property
    def age(self) -> int:
        return age_on(self.person.birth_date, self.today)

    @property
    def retirement_age(self) -> int:
        return RETIREMENT_AGE.get(self.person.gender, 60)

    @property
    def region_name(self) -> str:
        return full_name(self.person.region)

    @cached_property
    def auth_method(self) -> str:
        return self.db.scalar(select(ResidentSession.auth_method).where(ResidentSession.id == self.session_id)) or ""

    # ------------------------------------------------------------------ records
    @cached_property
    def enrolments(self) -> list[EnrolmentRecord]:
        return self.source.enrolments(self.person.ssn)

    def enrolled(self, type_code: str, *statuses: str) -> bool:
        return any(e.type_code == type_code and e.status in statuses for e in self.enrolments)

    @cached_property
    def cards(self) -> list[CardRecord]:
        return self.source.cards(self.person.ssn)

    @property
    def current_card(self) -> CardRecord | None:
        return next((c for c in self.cards if c.is_current), None)

    @property
    def card_in_production(self) -> CardRecord | None:
        return next((c for c in self.cards if c.production_stage != "issued" and c.status != "cancelled"), None)

    def paid_months(self, type_code: str) -> int:
        return self.source.paid_months(self.person.ssn, type_code)[0]

    def paid_months_in(self, type_code: str, region: str) -> int:
        page = self.source.contributions(self.person.ssn, None, None, type_code, 1, 10_000)
        return sum(1 for c in page.items if c.region == region and c.paid)

    def last_paid_period(self, type_code: str) -> str | None:
        page = self.source.contributions(self.person.ssn, None, None, type_code, 1, 1)
        return page.items[0].period if page.items else None

    @cached_property
    def unemployment_payments(self) -> list[BenefitRecord]:
        return self.source.benefit_payments(self.person.ssn, "unemployment")

    @property
    def drawing_unemployment_benefit(self) -> bool:
        """A 失业保险金 payment for this month or one of the two before: it is being drawn."""
        recent = shift(period_of(self.today), -2)
        return any(b.period >= recent for b in self.unemployment_payments)

    @property
    def benefit_used_up(self) -> bool:
        """失业保险金 drawn since the last contributions: this spell's entitlement is spent."""
        if not self.unemployment_payments or self.drawing_unemployment_benefit:
            return False
        last = self.last_paid_period("210")
        return last is None or max(b.period for b in self.unemployment_payments) > last

    @property
    def pensioner(self) -> bool:
        return self.person.employment_status == "retired" or bool(
            self.source.benefit_payments(self.person.ssn, "pension")
        )

    @property
    def insured_employment(self) -> bool:
        """In insured employment: an active 职工 enrolment with an employer."""
        return self.person.employment_status == "employed" or any(
            e.type_code in ("110", "210") and e.status == "active" and e.unit_name for e in self.enrolments
        )

    @property
    def registered_unemployed(self) -> bool:
        """Registered as unemployed: on the core system's books (it paid them 失业保险金) or
        through a 失业登记 here that was not refused."""
        if self.person.employment_status != "unemployed":
            return False
        return bool(self.unemployment_payments) or self.open_application("unemployment_registration") is not None

    @cached_property
    def skill_certificates(self) -> list[SkillCertificateRecord]:
        return self.source.skill_certificates(self.person.ssn)

    # ------------------------------------------------------------------ the gateway's applications
    def applications(self, *kinds: str) -> list[Application]:
        """The resident's applications of these kinds (old ids included), newest first."""
        wanted = set(kinds) | {old for old, new in LEGACY_KINDS.items() if new in kinds}
        return list(
            self.db.scalars(
                select(Application)
                .where(Application.person_id == self.person.person_id, Application.kind.in_(wanted))
                .order_by(Application.id.desc())
            )
        )

    def open_application(self, kind: str, **form: Any) -> Application | None:
        """The newest application of ``kind`` that was not refused (and whose form has ``form``'s values)."""
        for app in self.applications(kind):
            if app.status != "rejected" and all(app.form.get(k) == v for k, v in form.items()):
                return app
        return None
