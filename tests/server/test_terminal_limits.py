"""Per-terminal limits on session starts and failed card proofs, on SQLite and PostgreSQL: refused
with 429 past the limit, per terminal, across simultaneous requests, lifted when the window has
passed, and listed as alerts for the fleet console."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.auth import create_terminal, enroll
from server.context import GatewayContext
from server.devdb import ThrowawayPostgres
from server.errors import ApiError
from server.esscard.codes import mint_code
from server.seeding import demo_card_profiles, seed_database
from server.settings import ServerSettings, TerminalLimits
from server.terminal_limits import OVER_FAILURES, OVER_STARTS, admit_start, recent_alerts
from tests.card_holder import challenge, open_session, session_body

LIMITS = TerminalLimits(session_starts=5, failed_proofs=3, window_seconds=600)
_ids = itertools.count(1)


@dataclass
class Limited:
    client: TestClient
    ctx: GatewayContext
    people: list[dict[str, Any]]

    def terminal(self) -> tuple[str, dict[str, str]]:
        """A fresh enrolled terminal: its id and its request headers."""
        terminal_id = f"T-LIM-{next(_ids)}"
        with self.ctx.sessions.begin() as db:
            token = enroll(db, terminal_id, create_terminal(db, terminal_id, "320583"))
        return terminal_id, {"Authorization": f"Bearer {token}"}

    def person(self) -> dict[str, Any]:
        return next(p for p in self.people if p["card_status"] == "normal")

    def alerts(self, terminal_id: str) -> dict[str, int]:
        with self.ctx.sessions() as db:
            return {a.kind: a.count for a in recent_alerts(db) if a.terminal_id == terminal_id}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def limited(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Limited]:
    data_dir = tmp_path_factory.mktemp(f"limits-{request.param}")
    url = ""
    if request.param == "postgres":
        server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
        url = server.create_database("renshe_limits")
    app = create_app(ServerSettings(data_dir=data_dir, database_url=url, terminal_limits=LIMITS))
    ctx: GatewayContext = app.state.ctx
    with ctx.sessions.begin() as db:
        seed_database(db, 4, 5)
    with ctx.sessions() as db:
        people = demo_card_profiles(db, ctx.card_keys)
    with TestClient(app) as client:
        yield Limited(client, ctx, people)
    ctx.engine.dispose()


def _code(response: Any) -> str:
    return response.json()["error"]["code"]


def test_session_starts_are_limited_per_terminal(limited: Limited) -> None:
    terminal_id, headers = limited.terminal()
    for _ in range(LIMITS.session_starts):
        assert limited.client.post("/api/v1/sessions/challenge", headers=headers).status_code == 201
    refused = limited.client.post("/api/v1/sessions/challenge", headers=headers)
    assert refused.status_code == 429 and _code(refused) == "too_many_session_starts"
    assert refused.json()["error"]["message_zh"] and refused.json()["error"]["message_en"]
    assert limited.alerts(terminal_id) == {OVER_STARTS: 1}
    # Another terminal is not affected.
    _other, other_headers = limited.terminal()
    assert open_session(limited.client.post, other_headers, limited.person()).status_code == 201


def test_esscard_sign_ins_count_as_starts(limited: Limited) -> None:
    _terminal_id, headers = limited.terminal()
    for _ in range(LIMITS.session_starts - 1):
        challenge(limited.client.post, headers)
    with limited.ctx.sessions.begin() as db:
        codes = [mint_code(db, limited.person()["ssn"]) for _ in range(2)]
    ok = limited.client.post("/api/v1/sessions/esscard", json={"code": codes[0]}, headers=headers)
    assert ok.status_code == 201, ok.text
    refused = limited.client.post("/api/v1/sessions/esscard", json={"code": codes[1]}, headers=headers)
    assert refused.status_code == 429 and _code(refused) == "too_many_session_starts"


def test_failed_proofs_pause_the_terminal_and_raise_an_alert(limited: Limited) -> None:
    terminal_id, headers = limited.terminal()
    person = limited.person()
    spare = challenge(limited.client.post, headers)  # asked for before the attack: still refused after it
    for _ in range(LIMITS.failed_proofs):
        forged = {**session_body(person, challenge(limited.client.post, headers)), "cryptogram": "00" * 16}
        r = limited.client.post("/api/v1/sessions", json=forged, headers=headers)
        assert r.status_code == 403 and _code(r) == "card_not_verified"
    assert limited.alerts(terminal_id) == {OVER_FAILURES: 1}  # at once, before it tries again
    refused = limited.client.post("/api/v1/sessions/challenge", headers=headers)
    assert refused.status_code == 429 and _code(refused) == "too_many_failed_proofs"
    genuine = limited.client.post("/api/v1/sessions", json=session_body(person, spare), headers=headers)
    assert genuine.status_code == 429 and _code(genuine) == "too_many_failed_proofs"
    assert limited.alerts(terminal_id)[OVER_FAILURES] == 3
    _other, other_headers = limited.terminal()
    assert open_session(limited.client.post, other_headers, person).status_code == 201


def test_unknown_esscard_codes_count_as_failed_proofs(limited: Limited) -> None:
    terminal_id, headers = limited.terminal()
    for i in range(LIMITS.failed_proofs):
        r = limited.client.post("/api/v1/sessions/esscard", json={"code": f"guess-{i}"}, headers=headers)
        assert r.status_code == 404 and _code(r) == "esscard_code_unknown"
    r = limited.client.post("/api/v1/sessions/esscard", json={"code": "guess-x"}, headers=headers)
    assert r.status_code == 429 and _code(r) == "too_many_failed_proofs"
    assert OVER_FAILURES in limited.alerts(terminal_id)


def test_the_limit_lifts_when_the_window_has_passed(limited: Limited) -> None:
    terminal_id, _headers = limited.terminal()
    start = dt.datetime.now(dt.UTC)
    with limited.ctx.sessions() as db:
        for _ in range(LIMITS.session_starts):
            admit_start(db, terminal_id, LIMITS, now=start)
        with pytest.raises(ApiError) as refused:
            admit_start(db, terminal_id, LIMITS, now=start + dt.timedelta(seconds=1))
        assert refused.value.status_code == 429
        admit_start(db, terminal_id, LIMITS, now=start + dt.timedelta(seconds=LIMITS.window_seconds + 1))


def test_simultaneous_starts_admit_exactly_the_limit(limited: Limited) -> None:
    terminal_id, _headers = limited.terminal()
    count = 12
    barrier = threading.Barrier(count)

    def start(_i: int) -> bool:
        barrier.wait(timeout=30)
        with limited.ctx.sessions() as db:
            try:
                admit_start(db, terminal_id, LIMITS)
            except ApiError:
                return False
            return True

    with ThreadPoolExecutor(count) as pool:
        admitted = list(pool.map(start, range(count)))
    assert sum(admitted) == LIMITS.session_starts
    assert limited.alerts(terminal_id) == {OVER_STARTS: count - LIMITS.session_starts}
