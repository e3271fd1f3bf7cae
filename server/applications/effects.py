"""The back office's writes on the resident records, inside the gateway's own transaction.

A rule or a staff decision never writes through its own connection: it gets a ``ResidentWriter``
bound to the request's Session (``ResidentDataSource.writer(db)``), so the application, its status
history, its notification and its effect (a card suspended, a phone number changed, a card row
made) commit together or not at all: a crash or a retry never leaves one without the other.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.models import Card, Enrolment, Person

logger = logging.getLogger(__name__)

_CARD_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


class ResidentWriter(Protocol):
    def set_card_status(
        self, ssn: str, card_number: str, status: str, suspended_until: dt.datetime | None = None
    ) -> None: ...

    def update_contact(self, ssn: str, phone: str | None, address: str | None) -> None: ...

    def add_card(self, ssn: str, region: str, today: dt.date) -> str: ...

    def set_card_stage(self, ssn: str, card_number: str, stage: str, tracking_number: str | None = None) -> None: ...

    def activate_card(self, ssn: str, card_number: str) -> None: ...

    def cancel_card(self, ssn: str, card_number: str) -> None: ...

    def add_enrolment(self, ssn: str, type_code: str, region: str, start: dt.date) -> None: ...


class SqlResidentWriter:
    """``ResidentWriter`` on the reference tables, in the caller's Session (which commits)."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def _person_id(self, ssn: str) -> int:
        pid = self.db.scalar(select(Person.id).where(Person.ssn == ssn))
        if pid is None:
            raise LookupError("no such person")
        return pid

    def _card(self, ssn: str, card_number: str) -> Card:
        card = self.db.scalar(
            select(Card).where(Card.person_id == self._person_id(ssn), Card.card_number == card_number)
        )
        if card is None:
            raise LookupError("no such card")
        return card

    def set_card_status(
        self, ssn: str, card_number: str, status: str, suspended_until: dt.datetime | None = None
    ) -> None:
        card = self._card(ssn, card_number)
        card.status = status
        card.suspended_until = suspended_until

    def update_contact(self, ssn: str, phone: str | None, address: str | None) -> None:
        values: dict[str, str] = {}
        if phone is not None:
            values["phone"] = phone
        if address is not None:
            values["address"] = address
        if values:
            self.db.execute(update(Person).where(Person.ssn == ssn).values(**values))

    def add_card(self, ssn: str, region: str, today: dt.date) -> str:
        """A new card row, 已申请, not yet the current card (it becomes so when collected)."""
        pid = self._person_id(ssn)
        while True:  # 24 * 10^8 numbers: a clash is rare, and checked
            number = secrets.choice(_CARD_LETTERS) + f"{secrets.randbelow(10**8):08d}"
            if self.db.scalar(select(Card.id).where(Card.card_number == number)) is None:
                break
        self.db.add(
            Card(
                person_id=pid,
                card_number=number,
                status="normal",
                production_stage="applied",
                is_current=False,
                card_id=(region + "D15600000" + "5" + secrets.token_hex(8)).upper(),
                issuing_region=region,
                card_type="3",
                spec_version="3.00",
                issued_on=today,
                expires_on=today.replace(year=today.year + 10) if (today.month, today.day) != (2, 29) else today,
            )
        )
        self.db.flush()
        return number

    def set_card_stage(self, ssn: str, card_number: str, stage: str, tracking_number: str | None = None) -> None:
        card = self._card(ssn, card_number)
        card.production_stage = stage
        if tracking_number is not None:
            card.tracking_number = tracking_number

    def activate_card(self, ssn: str, card_number: str) -> None:
        """The collected card becomes the current one; the card it replaces is cancelled."""
        new = self._card(ssn, card_number)
        for old in self.db.scalars(select(Card).where(Card.person_id == new.person_id, Card.id != new.id)):
            if old.is_current:
                old.is_current = False
                old.status = "cancelled"
                old.suspended_until = None
        new.is_current = True
        new.production_stage = "issued"

    def cancel_card(self, ssn: str, card_number: str) -> None:
        card = self._card(ssn, card_number)
        card.status = "cancelled"
        card.is_current = False

    def add_enrolment(self, ssn: str, type_code: str, region: str, start: dt.date) -> None:
        pid = self._person_id(ssn)
        existing = self.db.scalar(select(Enrolment).where(Enrolment.person_id == pid, Enrolment.type_code == type_code))
        if existing is not None:
            existing.status, existing.region = "active", region
            return
        self.db.add(Enrolment(person_id=pid, type_code=type_code, status="active", start_date=start, region=region))
