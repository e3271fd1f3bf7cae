"""Reference ``ResidentDataSource`` over the gateway's SQLAlchemy database."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import defaultdict
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Integer, Select, and_, bindparam, case, func, or_, select, true
from sqlalchemy.orm import Session, aliased, sessionmaker

from server.db import ReadConnections
from server.models import (
    BenefitPayment,
    Card,
    Contribution,
    ContributionYear,
    Enrolment,
    Person,
    SkillCertificate,
    Unit,
)
from server.replica import ReadRouter
from server.store.base import (
    BenefitRecord,
    CardRecord,
    ContributionPage,
    ContributionRecord,
    EnrolmentRecord,
    InsuranceOverview,
    PersonRecord,
    ResidentDataSource,
    SkillCertificateRecord,
    YearSummary,
)

logger = logging.getLogger(__name__)

# Yearly interest credited to the 养老 personal account (记账利率; a flat reference rate).
ACCOUNT_RATE = Decimal("0.03")
CENT = Decimal("0.01")
PERSON_ID_CACHE = 50_000


# The hot reads are built once with bind parameters: building a select() and its cache key on every
# call cost more than running it. Named columns, never entities: no ORM identity map, and the photo
# blob stays unread.
_PERSON_ID = select(Person.id).where(Person.ssn == bindparam("ssn"))
_PERSON_COLUMNS = (
    Person.id,
    Person.ssn,
    Person.name,
    Person.gender,
    Person.birth_date,
    Person.region,
    Person.phone,
    Person.address,
    Person.employment_status,
    Person.hukou_region,
    Person.residence_permit_region,
    Person.student,
)
_PERSON = select(*_PERSON_COLUMNS).where(Person.ssn == bindparam("ssn"))
# A 临时挂失 lapses by itself (server.applications: the configured number of days): read as normal.
_EFFECTIVE_CARD_STATUS = case(
    (and_(Card.status == "temp_lost", Card.suspended_until <= bindparam("now")), "normal"), else_=Card.status
)
_CARDS = (
    select(
        Card.card_number,
        _EFFECTIVE_CARD_STATUS,
        Card.production_stage,
        Card.is_current,
        Card.card_id,
        Card.issuing_region,
        Card.card_type,
        Card.spec_version,
        Card.issued_on,
        Card.expires_on,
        Card.tracking_number,
    )
    .join(Person, Person.id == Card.person_id)
    .where(Person.ssn == bindparam("ssn"))
    .order_by(Card.is_current.desc(), Card.issued_on.desc())
)
_ENROLMENTS = (
    select(Enrolment.type_code, Enrolment.status, Enrolment.start_date, Unit.name, Enrolment.region)
    .join(Person, Person.id == Enrolment.person_id)
    .outerjoin(Unit, Unit.id == Enrolment.unit_id)
    .where(Person.ssn == bindparam("ssn"))
    .order_by(Enrolment.type_code)
)
_PAID_MONTHS = select(func.count(), func.min(Contribution.period)).where(
    Contribution.person_id == bindparam("pid"),
    Contribution.type_code == bindparam("type_code"),
    Contribution.paid.is_(True),
)
# 参保信息 in one statement: the person, the 养老 months (a one-row aggregate, computed once and
# joined to every row) and one row per enrolment (none: one row of NULLs, by the outer join).
_PENSION_PAID = (
    select(func.count().label("months"), func.min(Contribution.period).label("first"))
    .where(
        Contribution.person_id == select(Person.id).where(Person.ssn == bindparam("ssn")).scalar_subquery(),
        Contribution.type_code == "110",
        Contribution.paid.is_(True),
    )
    .subquery("pension_paid")
)
_OVERVIEW = (
    select(
        *_PERSON_COLUMNS,
        _PENSION_PAID.c.months,
        _PENSION_PAID.c.first,
        Enrolment.type_code,
        Enrolment.status,
        Enrolment.start_date,
        Unit.name,
        Enrolment.region,
    )
    .select_from(Person)
    .join(_PENSION_PAID, true())
    .outerjoin(Enrolment, Enrolment.person_id == Person.id)
    .outerjoin(Unit, Unit.id == Enrolment.unit_id)
    .where(Person.ssn == bindparam("ssn"))
    .order_by(Enrolment.type_code)
)
_BENEFITS = select(
    BenefitPayment.kind, BenefitPayment.period, BenefitPayment.amount, BenefitPayment.paid_on, BenefitPayment.status
).where(BenefitPayment.person_id == bindparam("pid"))


_YEARS = (
    select(
        ContributionYear.year,
        ContributionYear.type_code,
        ContributionYear.months,
        ContributionYear.base_total,
        ContributionYear.personal_total,
        ContributionYear.unit_total,
    )
    .where(
        ContributionYear.person_id == bindparam("pid"),
        ContributionYear.year <= bindparam("to_year"),
        # Before the asked years only the 养老 row counts (the account balance carries over): a
        # statement of this year reads about 40 rows instead of every type of every year (~175).
        or_(ContributionYear.year >= bindparam("from_year"), ContributionYear.type_code == "110"),
    )
    .order_by(ContributionYear.year, ContributionYear.type_code)
)


@lru_cache(maxsize=8)
def _contribution_statements(has_from: bool, has_to: bool, has_type: bool) -> tuple[Select[Any], Select[Any]]:
    """(totals of the range, one page of it with those totals on every row) for the filters present.

    The page carries the totals through a one-row aggregate joined to it, so a page costs one
    round trip; the separate totals statement is needed only when the page is empty.
    """

    def where(table: Any) -> list[Any]:
        cond = [table.person_id == bindparam("pid")]
        if has_from:
            cond.append(table.period >= bindparam("from_period"))
        if has_to:
            cond.append(table.period <= bindparam("to_period"))
        if has_type:
            cond.append(table.type_code == bindparam("type_code"))
        return cond

    # Months count a period once whatever its insurance types.
    summed = aliased(Contribution)
    totals = select(
        func.count().label("total_items"),
        func.count(func.distinct(case((summed.paid.is_(True), summed.period)))).label("months"),
        func.coalesce(func.sum(summed.personal_amount), 0).label("personal"),
        func.coalesce(func.sum(summed.unit_amount), 0).label("unit"),
    ).where(*where(summed))
    in_range = totals.subquery("totals")
    page = (
        select(
            Contribution.period,
            Contribution.type_code,
            Contribution.base,
            Contribution.personal_amount,
            Contribution.unit_amount,
            Contribution.paid,
            Unit.name,
            Contribution.region,
            in_range.c.total_items,
            in_range.c.months,
            in_range.c.personal,
            in_range.c.unit,
        )
        .select_from(Contribution)
        .join(in_range, true())
        .outerjoin(Unit, Unit.id == Contribution.unit_id)
        .where(*where(Contribution))
        .order_by(Contribution.period.desc(), Contribution.type_code)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    return totals, page


def year_summaries(rows: Any, from_year: int) -> list[YearSummary]:
    """The 个人权益单 from (year, type_code, months, base sum, personal sum, unit sum) rows of paid
    contributions in ascending years up to the last year asked for: the years from ``from_year`` on,
    each with the personal account balance accumulated from the first year."""
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


class SqlResidentDataSource(ResidentDataSource):
    """Reads and writes the reference tables of the gateway's SQLAlchemy database."""

    def __init__(
        self, session_factory: sessionmaker[Session], reads: ReadConnections | ReadRouter | None = None
    ) -> None:
        """``reads``: the gateway's read connections (its event loop's pinned one among them), or
        its router between the primary and a read replica (server.replica: each read below is one
        ``run``, so a replica that fails mid-read is replaced by the primary for the whole read);
        by default, autocommit connections from the session factory's engine."""
        self._writes = session_factory
        self._reads = reads or ReadConnections(session_factory.kw["bind"])
        # ssn → row id never changes once assigned; caching it saves a query in every call.
        self._ids: dict[str, int] = {}
        self._ids_lock = threading.Lock()

    def _person_id(self, conn: Connection, ssn: str) -> int | None:
        cached = self._ids.get(ssn)
        if cached is not None:
            return cached
        found = conn.execute(_PERSON_ID, {"ssn": ssn}).scalar()
        if found is not None:
            with self._ids_lock:
                if len(self._ids) >= PERSON_ID_CACHE:
                    self._ids.clear()
                self._ids[ssn] = found
        return found

    def find_person(self, ssn: str) -> PersonRecord | None:
        row = self._reads.run(lambda conn: conn.execute(_PERSON, {"ssn": ssn}).first())
        return PersonRecord(*row) if row is not None else None

    def cards(self, ssn: str) -> list[CardRecord]:
        now = dt.datetime.now(dt.UTC)
        rows = self._reads.run(lambda conn: conn.execute(_CARDS, {"ssn": ssn, "now": now}).all())
        return [CardRecord(*row) for row in rows]

    def enrolments(self, ssn: str) -> list[EnrolmentRecord]:
        rows = self._reads.run(lambda conn: conn.execute(_ENROLMENTS, {"ssn": ssn}).all())
        return [EnrolmentRecord(*row) for row in rows]

    def contributions(
        self, ssn: str, from_period: str | None, to_period: str | None, type_code: str | None, page: int, page_size: int
    ) -> ContributionPage:
        totals_q, page_q = _contribution_statements(bool(from_period), bool(to_period), bool(type_code))

        def read(conn: Connection) -> ContributionPage:
            pid = self._person_id(conn, ssn)
            if pid is None:
                return ContributionPage([], 0, 0, Decimal(0), Decimal(0))
            params: dict[str, Any] = {
                "pid": pid,
                "from_period": from_period,
                "to_period": to_period,
                "type_code": type_code,
            }
            rows = conn.execute(page_q, {**params, "offset": (page - 1) * page_size, "limit": page_size}).all()
            if rows:
                total_items, months, personal, unit = rows[0][-4:]
            else:
                total_items, months, personal, unit = conn.execute(totals_q, params).one()
            items = [ContributionRecord(*row[:-4]) for row in rows]
            return ContributionPage(
                items, int(total_items), int(months), Decimal(personal).quantize(CENT), Decimal(unit).quantize(CENT)
            )

        return self._reads.run(read)

    def insurance_overview(self, ssn: str) -> InsuranceOverview | None:
        rows = self._reads.run(lambda conn: conn.execute(_OVERVIEW, {"ssn": ssn}).all())
        if not rows:
            return None
        person_width = len(_PERSON_COLUMNS)
        first = rows[0]
        enrolments = [EnrolmentRecord(*row[person_width + 2 :]) for row in rows if row.type_code is not None]
        return InsuranceOverview(PersonRecord(*first[:person_width]), enrolments, int(first.months), first.first)

    def paid_months(self, ssn: str, type_code: str = "110") -> tuple[int, str | None]:
        def read(conn: Connection) -> tuple[int, str | None]:
            pid = self._person_id(conn, ssn)
            if pid is None:
                return 0, None
            count, first = conn.execute(_PAID_MONTHS, {"pid": pid, "type_code": type_code}).one()
            return int(count), first

        return self._reads.run(read)

    def benefit_payments(self, ssn: str, kind: str | None = None) -> list[BenefitRecord]:
        q = (_BENEFITS.where(BenefitPayment.kind == kind) if kind else _BENEFITS).order_by(BenefitPayment.period.desc())

        def read(conn: Connection) -> list[BenefitRecord]:
            pid = self._person_id(conn, ssn)
            if pid is None:
                return []
            return [BenefitRecord(*row) for row in conn.execute(q, {"pid": pid})]

        return self._reads.run(read)

    def yearly_summary(self, ssn: str, from_year: int, to_year: int) -> list[YearSummary]:
        # Reads the yearly sums (contribution_years, kept by server.contribution_writes): a few
        # dozen rows, where summing decades of months on every request served 399 statements/s.
        def read(conn: Connection) -> list[Any] | None:
            pid = self._person_id(conn, ssn)
            return (
                None
                if pid is None
                else conn.execute(_YEARS, {"pid": pid, "from_year": from_year, "to_year": to_year}).all()
            )

        rows = self._reads.run(read)
        return [] if rows is None else year_summaries(rows, from_year)

    def set_card_status(self, ssn: str, card_number: str, status: str) -> None:
        with self._writes.begin() as db:
            card = db.scalar(
                select(Card)
                .join(Person, Person.id == Card.person_id)
                .where(Person.ssn == ssn, Card.card_number == card_number)
            )
            if card is not None:
                card.status = status

    def skill_certificates(self, ssn: str) -> list[SkillCertificateRecord]:
        rows = self._reads.run(
            lambda conn: conn.execute(
                select(
                    SkillCertificate.number,
                    SkillCertificate.occupation,
                    SkillCertificate.level,
                    SkillCertificate.issued_on,
                )
                .join(Person, Person.id == SkillCertificate.person_id)
                .where(Person.ssn == ssn)
                .order_by(SkillCertificate.issued_on.desc())
            ).all()
        )
        return [SkillCertificateRecord(*row) for row in rows]

    def writer(self, db: Session) -> Any:
        """The back office's writes on the reference tables, in the caller's transaction ``db``."""
        from server.applications.effects import SqlResidentWriter  # the back office builds on the store

        return SqlResidentWriter(db)

    def update_contact(self, ssn: str, phone: str | None, address: str | None) -> None:
        with self._writes.begin() as db:
            person = db.scalar(select(Person).where(Person.ssn == ssn))
            if person is None:
                return
            if phone is not None:
                person.phone = phone
            if address is not None:
                person.address = address
