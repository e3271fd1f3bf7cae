"""Fixtures for the gateway tests: a seeded gateway parametrized over SQLite and a real PostgreSQL 15
(``postgres_server`` in tests/conftest.py: initdb + pg_ctl on a temporary directory and a free
loopback port, as the ``postgres`` user when run as root)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.auth import create_terminal, enroll
from server.context import GatewayContext
from server.devdb import ThrowawayPostgres
from server.models import Person
from server.seeding import demo_card_profiles, seed_database
from server.settings import ServerSettings, TerminalLimits
from tests.card_holder import open_session

SEED = 11
PERSONS = 20
# The suite opens far more sessions per terminal than any kiosk; the limits themselves are tested
# on gateways of their own (tests/server/test_card_proof.py).
SUITE_LIMITS = TerminalLimits(session_starts=100_000, failed_proofs=100_000)


@dataclasses.dataclass
class Gateway:
    """A seeded gateway under test with two enrolled terminals."""

    kind: str
    client: TestClient
    ctx: GatewayContext
    token: str
    other_token: str
    people: list[dict[str, Any]]
    statuses: dict[str, str]  # ssn -> employment status

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def person(self, card_status: str = "normal", employment: str | None = "employed", skip: int = 0) -> dict[str, Any]:
        matches = [
            p
            for p in self.people
            if p["card_status"] == card_status and (employment is None or self.statuses[p["ssn"]] == employment)
        ]
        if len(matches) <= skip:
            pytest.fail(f"seed {SEED} has no person with card {card_status} / {employment}")
        return matches[skip]

    def start(self, person: dict[str, Any] | None = None, token: str | None = None) -> str:
        """A ``card_pin`` session opened the real way: challenge, the card's key-02 proof after the PIN."""
        r = open_session(self.client.post, self.headers(token), person or self.person())
        assert r.status_code == 201, r.text
        return r.json()["session_id"]


def _gateway(kind: str, settings: ServerSettings) -> Iterator[Gateway]:
    app = create_app(settings)
    ctx: GatewayContext = app.state.ctx
    with ctx.sessions.begin() as db:
        seed_database(db, PERSONS, SEED)
        token = enroll(db, "T-1", create_terminal(db, "T-1", "320583"))
        other = enroll(db, "T-2", create_terminal(db, "T-2", "441900"))
    with ctx.sessions() as db:
        people = demo_card_profiles(db, ctx.card_keys)
        statuses = dict(db.execute(select(Person.ssn, Person.employment_status)).all())
    with TestClient(app) as client:
        yield Gateway(kind, client, ctx, token, other, people, statuses)
    ctx.engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir = tmp_path_factory.mktemp(f"gw-{request.param}")
    if request.param == "sqlite":
        settings = ServerSettings(
            data_dir=data_dir, public_base_url="https://verify.example.test", terminal_limits=SUITE_LIMITS
        )
    else:
        server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
        settings = ServerSettings(
            data_dir=data_dir,
            database_url=server.create_database("renshe_api"),
            public_base_url="https://verify.example.test",
            terminal_limits=SUITE_LIMITS,
        )
    yield from _gateway(request.param, settings)
