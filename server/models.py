"""SQLAlchemy 2 models of the reference data store and of the gateway's own records.

Reference data (what a province's core system holds): persons, units, enrolments,
contributions, benefit payments, cards. Gateway records: terminals, resident sessions,
certificates, applications, server metadata. Money is ``Numeric(12, 2)`` in yuan; periods
are ``YYYY-MM`` strings (sortable, the way core systems key them).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

logger = logging.getLogger(__name__)

Money = Numeric(12, 2)


class Base(DeclarativeBase):
    pass


class ServerMeta(Base):
    """Small key/value facts about this database (e.g. the demo seed)."""

    __tablename__ = "server_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Unit(Base):
    """An employer (参保单位)."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(6))


class Person(Base):
    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ssn: Mapped[str] = mapped_column(String(18), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(30))
    gender: Mapped[str] = mapped_column(String(1))  # '1' male, '2' female
    birth_date: Mapped[dt.date] = mapped_column(Date)
    ethnicity: Mapped[str] = mapped_column(String(2))
    birth_place: Mapped[str] = mapped_column(String(6))
    region: Mapped[str] = mapped_column(String(6))  # 参保地
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # employed / retired / unemployed / student: how the generator (or core system) classifies the person.
    employment_status: Mapped[str] = mapped_column(String(16), default="employed")
    # 户籍地 (NULL: the SSN's address code, where the number was issued) and 居住证 region (NULL:
    # none); 在校学生. The back office's rules read them (server.applications, migration 0007).
    hukou_region: Mapped[str | None] = mapped_column(String(6), nullable=True)
    residence_permit_region: Mapped[str | None] = mapped_column(String(6), nullable=True)
    student: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def __repr__(self) -> str:  # no personal data in reprs: they end up in logs
        return f"Person(id={self.id})"


class Enrolment(Base):
    """One insurance type the person is enrolled in (参保信息)."""

    __tablename__ = "enrolments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    type_code: Mapped[str] = mapped_column(String(3))  # 110 养老 310 医疗 210 失业 410 工伤 510 生育
    status: Mapped[str] = mapped_column(String(16))  # active / suspended / terminated
    start_date: Mapped[dt.date] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    region: Mapped[str] = mapped_column(String(6))
    unit: Mapped[Unit | None] = relationship(lazy="joined")


class Contribution(Base):
    """One month of one insurance type (缴费明细)."""

    __tablename__ = "contributions"
    __table_args__ = (Index("ix_contributions_person_period", "person_id", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    type_code: Mapped[str] = mapped_column(String(3))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    base: Mapped[Decimal] = mapped_column(Money)
    personal_amount: Mapped[Decimal] = mapped_column(Money)
    unit_amount: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[bool] = mapped_column(Boolean)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    region: Mapped[str] = mapped_column(String(6))


class ContributionYear(Base):
    """A person's paid contributions of one insurance type in one year, summed (个人权益单).

    Kept equal to a SUM over ``contributions`` (paid rows only) by every writer of contributions:
    server.contribution_writes. The statement reads a few dozen of these rows instead of summing
    decades of months on every request.
    """

    __tablename__ = "contribution_years"
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    months: Mapped[int] = mapped_column(Integer)  # paid months (rows) of this type in the year
    first_period: Mapped[str] = mapped_column(String(7))  # the year's first paid month, YYYY-MM
    base_total: Mapped[Decimal] = mapped_column(Money)
    personal_total: Mapped[Decimal] = mapped_column(Money)
    unit_total: Mapped[Decimal] = mapped_column(Money)


class BenefitPayment(Base):
    """A pension (养老金) or unemployment benefit (失业金) payment (待遇发放)."""

    __tablename__ = "benefit_payments"
    __table_args__ = (Index("ix_benefit_person_period", "person_id", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # pension / unemployment
    period: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # paid / pending


class Card(Base):
    """A 社会保障卡 (status 正常/临时挂失/正式挂失, 制卡进度)."""

    __tablename__ = "cards"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    card_number: Mapped[str] = mapped_column(String(9), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # normal / temp_lost / lost / cancelled
    production_stage: Mapped[str] = mapped_column(String(16))  # applied .. issued
    is_current: Mapped[bool] = mapped_column(Boolean)
    card_id: Mapped[str] = mapped_column(String(32))
    issuing_region: Mapped[str] = mapped_column(String(6))
    card_type: Mapped[str] = mapped_column(String(2))
    spec_version: Mapped[str] = mapped_column(String(4))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    # 临时挂失 lapses at this time (the card reads as normal again); NULL for any other status.
    suspended_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The courier's tracking number once a new card is 已寄出 (制卡进度).
    tracking_number: Mapped[str | None] = mapped_column(String(32), nullable=True)


class SkillCertificate(Base):
    """A 职业资格 / 职业技能等级证书 on record (reference data): 职业培训补贴 checks its number."""

    __tablename__ = "skill_certificates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    occupation: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(8))  # 五级 .. 一级
    issued_on: Mapped[dt.date] = mapped_column(Date)


class Terminal(Base):
    __tablename__ = "terminals"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(6))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    enrol_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    enrolled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ResidentSession(Base):
    """A resident's session on one terminal, opened after a card read and PIN/face check."""

    __tablename__ = "resident_sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    auth_method: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Certificate(Base):
    """What the gateway issued: kept so it can be verified and reprinted, never issued twice."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("terminal_id", "idempotency_key", name="uq_certificate_idem"),)
    serial: Mapped[str] = mapped_column(String(24), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ssn: Mapped[str] = mapped_column(String(18), index=True)
    period_from: Mapped[str | None] = mapped_column(String(7), nullable=True)
    period_to: Mapped[str | None] = mapped_column(String(7), nullable=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"))
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    verification_code: Mapped[str] = mapped_column(String(8))
    reprint_count: Mapped[int] = mapped_column(Integer, default=0)


class Application(Base):
    """A resident's application (失业登记, 挂失, ...) with its status history.

    ``region``: the handling agency's region (the resident's 参保地 when submitted): staff review
    the applications of their regions. ``details``: what the rules computed (e.g. the months of
    失业保险金 entitlement, the new card's number), shown on the receipt and to staff."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("terminal_id", "idempotency_key", name="uq_application_idem"),
        Index("ix_applications_region_status", "region", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(6), nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    terminal_id: Mapped[str | None] = mapped_column(ForeignKey("terminals.id"), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    events: Mapped[list[ApplicationEvent]] = relationship(
        order_by="ApplicationEvent.id", cascade="all, delete-orphan", lazy="selectin"
    )


class CardPhoto(Base):
    """A 社保卡 photo the terminal took in a resident's session (server.card_photos, migration 0010).

    A card application names it as ``photo:<id>``; ``used_at`` is set when one does, so a photo
    goes with at most one application. Only its own person, in its own session, may use it."""

    __tablename__ = "card_photos"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(String(32))
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"))
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ApplicationEvent(Base):
    __tablename__ = "application_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Who moved it: "terminal:<id>", a staff username, or "system" (NULL on rows before 0007).
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True)
