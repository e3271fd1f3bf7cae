"""Reference ``ResidentDataSource`` over the gateway's SQLAlchemy database."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from server.models import BenefitPayment, Card, Contribution, Enrolment, Person, Unit
from server.store.base import (
    BenefitRecord,
    CardRecord,
    ContributionPage,
    ContributionRecord,
    EnrolmentRecord,
    PersonRecord,
    ResidentDataSource,
    YearSummary,
)

logger = logging.getLogger(__name__)

# Yearly interest credited to the 养老 personal account (记账利率; a flat reference rate).
ACCOUNT_RATE = Decimal("0.03")
CENT = Decimal("0.01")
PERSON_ID_CACHE = 50_000


class SqlResidentDataSource(ResidentDataSource):
    """Reads and writes the reference tables through short-lived sessions of ``session_factory``."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._writes = session_factory
        # Reads run in autocommit: no BEGIN/ROLLBACK round trips around every query on PostgreSQL.
        engine = session_factory.kw["bind"]
        self._sessions = sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
        # ssn → row id never changes once assigned; caching it saves a query in every call.
        self._ids: dict[str, int] = {}
        self._ids_lock = threading.Lock()

    def _person_id(self, db: Session, ssn: str) -> int | None:
        cached = self._ids.get(ssn)
        if cached is not None:
            return cached
        found = db.scalar(select(Person.id).where(Person.ssn == ssn))
        if found is not None:
            with self._ids_lock:
                if len(self._ids) >= PERSON_ID_CACHE:
                    self._ids.clear()
                self._ids[ssn] = found
        return found

    def find_person(self, ssn: str) -> PersonRecord | None:
        with self._sessions() as db:
            p = db.scalar(select(Person).where(Person.ssn == ssn))
            if p is None:
                return None
            return PersonRecord(
                p.id, p.ssn, p.name, p.gender, p.birth_date, p.region, p.phone, p.address, p.employment_status
            )

    def cards(self, ssn: str) -> list[CardRecord]:
        with self._sessions() as db:
            rows = db.scalars(
                select(Card)
                .join(Person, Person.id == Card.person_id)
                .where(Person.ssn == ssn)
                .order_by(Card.is_current.desc(), Card.issued_on.desc())
            )
            return [
                CardRecord(
                    c.card_number,
                    c.status,
                    c.production_stage,
                    c.is_current,
                    c.card_id,
                    c.issuing_region,
                    c.card_type,
                    c.spec_version,
                    c.issued_on,
                    c.expires_on,
                )
                for c in rows
            ]

    def enrolments(self, ssn: str) -> list[EnrolmentRecord]:
        with self._sessions() as db:
            rows = db.scalars(
                select(Enrolment)
                .join(Person, Person.id == Enrolment.person_id)
                .where(Person.ssn == ssn)
                .order_by(Enrolment.type_code)
            )
            return [
                EnrolmentRecord(e.type_code, e.status, e.start_date, e.unit.name if e.unit else None, e.region)
                for e in rows
            ]

    def contributions(
        self, ssn: str, from_period: str | None, to_period: str | None, type_code: str | None, page: int, page_size: int
    ) -> ContributionPage:
        with self._sessions() as db:
            pid = self._person_id(db, ssn)
            if pid is None:
                return ContributionPage([], 0, 0, Decimal(0), Decimal(0))
            cond = [Contribution.person_id == pid]
            if from_period:
                cond.append(Contribution.period >= from_period)
            if to_period:
                cond.append(Contribution.period <= to_period)
            if type_code:
                cond.append(Contribution.type_code == type_code)
            total_items, personal, unit = db.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(Contribution.personal_amount), 0),
                    func.coalesce(func.sum(Contribution.unit_amount), 0),
                ).where(*cond)
            ).one()
            months = (
                db.scalar(
                    select(func.count(func.distinct(Contribution.period))).where(*cond, Contribution.paid.is_(True))
                )
                or 0
            )
            rows = db.execute(
                select(Contribution, Unit.name)
                .outerjoin(Unit, Unit.id == Contribution.unit_id)
                .where(*cond)
                .order_by(Contribution.period.desc(), Contribution.type_code)
                .offset((page - 1) * page_size)
                .limit(page_size)
            ).all()
            items = [
                ContributionRecord(
                    c.period, c.type_code, c.base, c.personal_amount, c.unit_amount, c.paid, unit_name, c.region
                )
                for c, unit_name in rows
            ]
            return ContributionPage(
                items, int(total_items), int(months), Decimal(personal).quantize(CENT), Decimal(unit).quantize(CENT)
            )

    def paid_months(self, ssn: str, type_code: str = "110") -> tuple[int, str | None]:
        with self._sessions() as db:
            pid = self._person_id(db, ssn)
            if pid is None:
                return 0, None
            count, first = db.execute(
                select(func.count(), func.min(Contribution.period)).where(
                    Contribution.person_id == pid, Contribution.type_code == type_code, Contribution.paid.is_(True)
                )
            ).one()
            return int(count), first

    def benefit_payments(self, ssn: str, kind: str | None = None) -> list[BenefitRecord]:
        with self._sessions() as db:
            pid = self._person_id(db, ssn)
            if pid is None:
                return []
            q = select(BenefitPayment).where(BenefitPayment.person_id == pid)
            if kind:
                q = q.where(BenefitPayment.kind == kind)
            rows = db.scalars(q.order_by(BenefitPayment.period.desc()))
            return [BenefitRecord(b.kind, b.period, b.amount, b.paid_on, b.status) for b in rows]

    def yearly_summary(self, ssn: str, from_year: int, to_year: int) -> list[YearSummary]:
        with self._sessions() as db:
            pid = self._person_id(db, ssn)
            if pid is None:
                return []
            year = func.substr(Contribution.period, 1, 4)
            rows = db.execute(
                select(
                    year,
                    Contribution.type_code,
                    func.count(),
                    func.sum(Contribution.base),
                    func.sum(Contribution.personal_amount),
                    func.sum(Contribution.unit_amount),
                )
                .where(Contribution.person_id == pid, Contribution.paid.is_(True), year <= f"{to_year:04d}")
                .group_by(year, Contribution.type_code)
                .order_by(year)
            ).all()
        per_year: dict[int, dict[str, tuple[int, Decimal, Decimal, Decimal]]] = defaultdict(dict)
        for y, type_code, n, base_sum, personal, unit in rows:
            per_year[int(y)][type_code] = (int(n), Decimal(base_sum), Decimal(personal), Decimal(unit))
        out: list[YearSummary] = []
        balance = Decimal(0)
        # The personal account accumulates from the first year on, even before the requested range.
        for y in sorted(per_year):
            types = per_year[y]
            n, base_sum, personal_pension, _ = types.get("110", (0, Decimal(0), Decimal(0), Decimal(0)))
            balance = (balance * (1 + ACCOUNT_RATE) + personal_pension).quantize(CENT)
            if y < from_year:
                continue
            out.append(
                YearSummary(
                    year=y,
                    months_paid=n,
                    average_base=(base_sum / n).quantize(CENT) if n else Decimal(0),
                    personal_total=sum((t[2] for t in types.values()), Decimal(0)).quantize(CENT),
                    unit_total=sum((t[3] for t in types.values()), Decimal(0)).quantize(CENT),
                    account_balance=balance,
                    by_type={
                        code: {
                            "months": str(t[0]),
                            "personal": str(t[2].quantize(CENT)),
                            "unit": str(t[3].quantize(CENT)),
                        }
                        for code, t in sorted(types.items())
                    },
                )
            )
        return out

    def set_card_status(self, ssn: str, card_number: str, status: str) -> None:
        with self._writes.begin() as db:
            card = db.scalar(
                select(Card)
                .join(Person, Person.id == Card.person_id)
                .where(Person.ssn == ssn, Card.card_number == card_number)
            )
            if card is not None:
                card.status = status

    def update_contact(self, ssn: str, phone: str | None, address: str | None) -> None:
        with self._writes.begin() as db:
            person = db.scalar(select(Person).where(Person.ssn == ssn))
            if person is None:
                return
            if phone is not None:
                person.phone = phone
            if address is not None:
                person.address = address
