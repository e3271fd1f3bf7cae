"""Buffered heartbeats survive a database that refuses their flush: the beats wait in memory (a
bounded amount per terminal), the heartbeat is answered as usual, and once the database is back
every session and print is stored exactly once, with the newest state winning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from server.fleet import heartbeats
from server.fleet.heartbeats import BeatBuffer
from server.fleet.models import FleetTerminal, Heartbeat
from tests.fleet.conftest import REGION_A, Fleet, build_app
from tests.fleet.test_terminal_api import BEAT, auth


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@contextmanager
def history_table_gone(fleet: Fleet) -> Iterator[None]:
    """The heartbeat history table is renamed away (a real database error on the flush's INSERT,
    after its UPDATE already ran in the same transaction), then brought back."""
    with fleet.ctx.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE fleet_heartbeats RENAME TO fleet_heartbeats_away")
    try:
        yield
    finally:
        with fleet.ctx.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE fleet_heartbeats_away RENAME TO fleet_heartbeats")


@contextmanager
def commits_refused(engine: Engine, on_refusal: Any = None) -> Iterator[list[int]]:
    """Every COMMIT on ``engine`` fails as a lost connection would (after all statements ran);
    ``on_refusal`` runs first (to add beats while a flush is under way). Yields the refusal count."""
    refused: list[int] = []

    def refuse(_conn: Any) -> None:
        refused.append(1)
        if on_refusal is not None:
            on_refusal()
        raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection unexpectedly"))

    event.listen(engine, "commit", refuse)
    try:
        yield refused
    finally:
        event.remove(engine, "commit", refuse)


def _beat(n: int, **changes: Any) -> dict[str, Any]:
    """The n-th beat: its own last_error (so the history would sample it) and n sessions, 2n prints."""
    return {**BEAT, "last_error": f"E{n}", "sessions": n, "prints": 2 * n, **changes}


def _stored_totals(fleet: Fleet, terminal_id: str) -> tuple[int, int]:
    """Sessions and prints stored for a terminal: in its history rows plus those carried on its row."""
    with fleet.ctx.sessions() as db:
        rows = db.scalars(select(Heartbeat).where(Heartbeat.terminal_id == terminal_id)).all()
        row = db.get(FleetTerminal, terminal_id)
        return (
            sum(h.payload["sessions"] for h in rows) + row.acc_sessions,
            sum(h.payload["prints"] for h in rows) + row.acc_prints,
        )


def test_an_outage_loses_no_beat_and_counts_every_session_once(fleet: Fleet, caplog: pytest.LogCaptureFixture) -> None:
    tokens = {tid: fleet.register(tid, REGION_A, "花桥") for tid in ("T-A1", "T-A2")}
    beats = fleet.app.state.fleet.beats
    sent = {tid: [0, 0] for tid in tokens}
    with fleet.client() as client:

        def beat(tid: str, n: int) -> None:
            answer = client.post("/api/v1/terminal/heartbeat", json=_beat(n), headers=auth(tokens[tid]))
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"interval": 30, "config_version": 0, "commands_pending": 0}
            sent[tid][0] += n
            sent[tid][1] += 2 * n

        for tid in tokens:
            beat(tid, 1)
        with history_table_gone(fleet), caplog.at_level("WARNING", logger="server.fleet.heartbeats"):
            for n in range(2, 12):  # more beats than a terminal may keep: the oldest are folded
                for tid in tokens:
                    beat(tid, n)
                assert all(k <= heartbeats._MAX_BEATS_PER_TERMINAL for k in beats.pending().values())
            assert beats.failures >= 10
            assert client.get("/healthz").status_code == 200
        warnings = [r for r in caplog.records if "flush refused" in r.getMessage()]
        assert warnings and all("T-A" not in str(r.__dict__) for r in warnings)  # no ids, no addresses
        beat("T-A1", 12)  # the database is back: this flush writes everything kept
    assert beats.pending() == {} and beats.failures == 0
    for tid in tokens:
        assert _stored_totals(fleet, tid) == tuple(sent[tid])
    with fleet.ctx.sessions() as db:
        assert db.get(FleetTerminal, "T-A1").last_state["last_error"] == "E12"
        assert db.get(FleetTerminal, "T-A2").last_state["last_error"] == "E11"
        # History kept the first sample, the newest kept beats and no row twice.
        errors = db.scalars(select(Heartbeat.payload).where(Heartbeat.terminal_id == "T-A2").order_by(Heartbeat.id))
        assert [p["last_error"] for p in errors] == ["E1", "E8", "E9", "E10", "E11"]


def test_a_refused_commit_is_retried_without_counting_twice(fleet: Fleet) -> None:
    """The flush's statements all ran (accumulators updated in the transaction), then COMMIT failed."""
    token = fleet.register("T-A1", REGION_A)
    state = fleet.app.state.fleet
    with fleet.client() as client:
        same = {**BEAT, "sessions": 5, "prints": 1}  # sampled once: then counts carried on the row
        assert client.post("/api/v1/terminal/heartbeat", json=same, headers=auth(token)).status_code == 200
        with commits_refused(fleet.ctx.engine) as refused:
            for _ in range(3):
                assert client.post("/api/v1/terminal/heartbeat", json=same, headers=auth(token)).status_code == 200
            assert len(refused) == 3
        assert client.post("/api/v1/terminal/heartbeat", json=same, headers=auth(token)).status_code == 200
    assert state.beats.pending() == {}
    assert _stored_totals(fleet, "T-A1") == (5 * 5, 5 * 1)


def test_beats_arriving_during_a_refused_flush_are_kept_and_the_newest_wins(fleet: Fleet) -> None:
    fleet.register("T-A1", REGION_A)
    buffer = BeatBuffer(flush_every=0)
    t0 = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)
    buffer.add("T-A1", _beat(1), "10.0.0.1", t0)

    def meanwhile() -> None:  # another request buffers a newer beat while the flush is under way
        buffer.add("T-A1", _beat(2), "10.0.0.2", t0 + dt.timedelta(seconds=30))

    with commits_refused(fleet.ctx.engine, meanwhile), fleet.ctx.sessions() as db:
        assert buffer.flush(db) == 0
    assert buffer.pending() == {"T-A1": 2}
    with fleet.ctx.sessions() as db:
        assert buffer.flush(db) == 1
    with fleet.ctx.sessions() as db:
        row = db.get(FleetTerminal, "T-A1")
        assert (row.last_state["last_error"], row.last_ip) == ("E2", "10.0.0.2")
    assert _stored_totals(fleet, "T-A1") == (3, 6)


def test_kept_beats_do_not_overwrite_a_newer_state_stored_by_another_worker(fleet: Fleet, tmp_path: Path) -> None:
    token = fleet.register("T-A1", REGION_A)
    other = build_app(tmp_path / "worker-2", database_url=fleet.ctx.settings.database_url)
    try:
        second = Fleet(other, other.state.ctx, tmp_path)
        with fleet.client() as first, second.client() as later:
            with commits_refused(fleet.ctx.engine):  # the first worker's database link fails ...
                assert first.post("/api/v1/terminal/heartbeat", json=_beat(1), headers=auth(token)).status_code == 200
            # ... while the terminal's next beat reaches the second worker, which stores it.
            assert later.post("/api/v1/terminal/heartbeat", json=_beat(2), headers=auth(token)).status_code == 200
            with fleet.ctx.sessions() as db:  # the first worker writes its kept beat now (console page)
                assert fleet.app.state.fleet.beats.flush(db) == 1
    finally:
        other.state.ctx.engine.dispose()
    with fleet.ctx.sessions() as db:
        row = db.get(FleetTerminal, "T-A1")
        assert row.last_state["last_error"] == "E2"
        assert db.execute(select(func.count()).select_from(Heartbeat)).scalar_one() == 2
    assert _stored_totals(fleet, "T-A1") == (3, 6)


def test_a_console_page_is_served_while_the_flush_is_refused(fleet: Fleet, staff_client: Any) -> None:
    token = fleet.register("T-A1", REGION_A)
    client, _csrf = staff_client("admin")
    with fleet.client() as terminal, commits_refused(fleet.ctx.engine):
        assert terminal.post("/api/v1/terminal/heartbeat", json=_beat(1), headers=auth(token)).status_code == 200
        assert fleet.app.state.fleet.beats.pending() == {"T-A1": 1}
    with history_table_gone(fleet):
        assert client.get("/console/").status_code == 200  # the flush fails, the page still renders
    assert fleet.app.state.fleet.beats.pending() == {"T-A1": 1}
    assert client.get("/console/").status_code == 200
    assert fleet.app.state.fleet.beats.pending() == {}
    assert _stored_totals(fleet, "T-A1") == (1, 2)
