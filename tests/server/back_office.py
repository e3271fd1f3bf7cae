"""Helpers of the back-office tests: a seeded gateway of their own (its notifications sent only when
a test says so), residents found by the situation a rule needs, sessions opened the real way."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from server.app import create_app
from server.applications.settings import BackOfficeSettings
from server.auth import create_terminal, enroll
from server.context import GatewayContext
from server.devdb import ThrowawayPostgres
from server.esscard.codes import mint_code
from server.models import Application, BenefitPayment, Contribution, Enrolment, Person
from server.notify.base import LogNotifier
from server.seeding import demo_card_profiles, seed_database
from server.settings import ServerSettings
from server.store.base import PersonRecord
from tests.server.conftest import PERSONS, SEED, SUITE_LIMITS, Gateway

# The outbox is sent by the tests (run_once), never by a thread behind their back.
QUIET = BackOfficeSettings(notify_interval_seconds=0)
_keys = itertools.count(1)


@dataclass
class Resident:
    """A seeded resident with what the tests choose by."""

    record: PersonRecord
    card: dict[str, Any] | None  # the card profile (PIN, keys) when they hold a current card
    benefits: int  # 失业保险金 payments
    paid_210: int
    regions_110: set[str]  # regions with 养老保险 paid
    enrolments: dict[str, str]  # type code → status

    @property
    def ssn(self) -> str:
        return self.record.ssn

    @property
    def age(self) -> int:
        today = dt.date.today()
        b = self.record.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


class Office:
    """The gateway under test, seen from the back office's side."""

    def __init__(self, gw: Gateway, notifier: LogNotifier) -> None:
        self.gw = gw
        self.notifier = notifier
        self.used: set[str] = set()

    @property
    def kind(self) -> str:
        return self.gw.kind

    def residents(self) -> list[Resident]:
        cards = {p["ssn"]: p for p in self.gw.people}
        out = []
        with self.gw.ctx.sessions() as db:
            for ssn, pid in db.execute(select(Person.ssn, Person.id).order_by(Person.id)).all():
                record = self.gw.ctx.source.find_person(ssn)
                if record is None:
                    continue
                benefits = db.scalar(
                    select(func.count()).where(BenefitPayment.person_id == pid, BenefitPayment.kind == "unemployment")
                )
                paid = db.scalar(
                    select(func.count()).where(
                        Contribution.person_id == pid, Contribution.type_code == "210", Contribution.paid.is_(True)
                    )
                )
                regions = set(
                    db.scalars(
                        select(Contribution.region).where(
                            Contribution.person_id == pid, Contribution.type_code == "110", Contribution.paid.is_(True)
                        )
                    )
                )
                enrolments = dict(
                    db.execute(select(Enrolment.type_code, Enrolment.status).where(Enrolment.person_id == pid)).all()
                )
                out.append(Resident(record, cards.get(ssn), int(benefits or 0), int(paid or 0), regions, enrolments))
        return out

    def find(self, test: Callable[[Resident], bool], *, fresh: bool = True) -> Resident:
        """The first resident passing ``test`` that no other test of the module took (``fresh``)."""
        for r in self.residents():
            if test(r) and not (fresh and r.ssn in self.used):
                self.used.add(r.ssn)
                return r
        pytest.fail("the seed has no such resident")

    def session(self, resident: Resident, *, esscard: bool = False) -> str:
        """A session: with the card and its PIN when it can sign in, else with a 电子社保卡 code."""
        card = resident.card
        if card is not None and not esscard and card["card_status"] == "normal":
            return self.gw.start(card)
        with self.gw.ctx.sessions.begin() as db:
            code = mint_code(db, resident.ssn)
        answer = self.gw.client.post("/api/v1/sessions/esscard", json={"code": code}, headers=self.gw.headers())
        assert answer.status_code == 201, answer.text
        return answer.json()["session_id"]

    def submit(self, sid: str, kind: str, form: dict[str, Any] | None = None, key: str | None = None) -> Any:
        """POST the application; an accepted one is posted again with the same key, which must
        answer the same application with no new row (every kind's idempotent retry)."""
        body: dict[str, Any] = {"kind": kind, "idempotency_key": key or f"bo-{self.kind}-{next(_keys):06d}"}
        if form is not None:
            body["form"] = form
        url = f"/api/v1/sessions/{sid}/applications"
        answer = self.gw.client.post(url, json=body, headers=self.gw.headers())
        if answer.status_code == 201 and key is None:
            count = self.applications()
            again = self.gw.client.post(url, json=body, headers=self.gw.headers())
            assert again.status_code == 201 and again.json() == answer.json(), again.text
            assert self.applications() == count
        return answer

    def applications(self) -> int:
        with self.gw.ctx.sessions() as db:
            return int(db.scalar(select(func.count()).select_from(Application)) or 0)


def refused(answer: Any, code: str, status: int = 409) -> None:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code, error
    assert error["message_zh"] and error["message_en"]


def office_gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    """A seeded gateway (SQLite or PostgreSQL, as parametrized) with the quiet back office."""
    data_dir: Path = tmp_path_factory.mktemp(f"office-{request.param}")
    url = ""
    if request.param == "postgres":
        server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
        url = server.create_database(f"office_{data_dir.name.lower().replace('-', '_')}"[:60])
    settings = ServerSettings(data_dir=data_dir, database_url=url, terminal_limits=SUITE_LIMITS)
    notifier = LogNotifier()
    app = create_app(settings, back_office=QUIET, notifier=notifier)
    ctx: GatewayContext = app.state.ctx
    with ctx.sessions.begin() as db:
        seed_database(db, PERSONS, SEED)
        token = enroll(db, "T-1", create_terminal(db, "T-1", "320583"))
        other = enroll(db, "T-2", create_terminal(db, "T-2", "441900"))
    with ctx.sessions() as db:
        people = demo_card_profiles(db, ctx.card_keys)
        statuses = dict(db.execute(select(Person.ssn, Person.employment_status)).all())
    with TestClient(app) as client:
        yield Office(Gateway(request.param, client, ctx, token, other, people, statuses), notifier)
    ctx.engine.dispose()
