"""The read path on both databases: the one-statement 参保信息, the pinned read connection and the
batched last-seen writes."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.exc import DBAPIError

from common.ssn import make_ssn
from server.db import ReadConnections
from server.models import Person, ResidentSession
from server.session_seen import LastSeenWriter
from server.store.base import ResidentDataSource
from tests.server.conftest import Gateway


def test_insurance_overview_matches_the_composed_reads(gateway: Gateway) -> None:
    source = gateway.ctx.source
    for p in gateway.people:
        fast = source.insurance_overview(p["ssn"])
        composed = ResidentDataSource.insurance_overview(source, p["ssn"])
        assert fast is not None and fast == composed
        assert fast.enrolments, "every seeded person is enrolled in something"
    assert source.insurance_overview(make_ssn("320583", dt.date(1990, 1, 1), 999)) is None


def test_insurance_overview_of_a_person_without_records(gateway: Gateway) -> None:
    ssn = make_ssn("441900", dt.date(1988, 8, 8), 777)
    with gateway.ctx.sessions.begin() as db:
        db.add(
            Person(
                ssn=ssn,
                name="测试",
                gender="2",
                birth_date=dt.date(1988, 8, 8),
                ethnicity="01",
                birth_place="441900",
                region="441900",
                employment_status="employed",
            )
        )
    try:
        overview = gateway.ctx.source.insurance_overview(ssn)
        assert overview is not None
        assert (overview.person.ssn, overview.enrolments, overview.months_paid, overview.first_paid_period) == (
            ssn,
            [],
            0,
            None,
        )
    finally:
        with gateway.ctx.sessions.begin() as db:
            db.execute(delete(Person).where(Person.ssn == ssn))


def test_pinned_thread_keeps_one_connection_and_others_use_the_pool(gateway: Gateway) -> None:
    reads = ReadConnections(gateway.ctx.engine)
    reads.pin_to_current_thread()
    try:
        with reads.connect() as first:
            assert first.scalar(text("SELECT 1")) == 1
        with reads.connect() as again:
            assert again is first and not again.closed
        seen: list[object] = []

        def elsewhere() -> None:
            with reads.connect() as conn:
                seen.append(conn)
                assert conn.scalar(text("SELECT 2")) == 2
            seen.append(conn.closed)

        worker = threading.Thread(target=elsewhere)
        worker.start()
        worker.join()
        assert seen[0] is not first and seen[1] is True  # checked out and given back
    finally:
        reads.close()


def test_pinned_connection_survives_a_failed_statement_and_a_broken_link(gateway: Gateway) -> None:
    reads = ReadConnections(gateway.ctx.engine)
    reads.pin_to_current_thread()
    try:
        with pytest.raises(DBAPIError), reads.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
        with reads.connect() as same:
            assert same is conn and same.scalar(text("SELECT 3")) == 3
        same.invalidate()  # what SQLAlchemy does when the driver reports the link gone
        with reads.connect() as fresh:
            assert fresh is not same and fresh.scalar(text("SELECT 4")) == 4
    finally:
        reads.close()


def _last_seen(gateway: Gateway, session_id: str) -> dt.datetime:
    with gateway.ctx.sessions() as db:
        value = db.scalar(select(ResidentSession.last_seen_at).where(ResidentSession.id == session_id))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_last_seen_writes_are_batched_a_second_later(gateway: Gateway) -> None:
    sessions = [
        gateway.start(gateway.person(skip=4)),
        gateway.start(gateway.person(skip=5), token=gateway.other_token),
    ]
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    with gateway.ctx.sessions.begin() as db:
        db.execute(update(ResidentSession).where(ResidentSession.id.in_(sessions)).values(last_seen_at=long_ago))
    touches: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE RESIDENT_SESSIONS"):
            touches.append(statement)

    event.listen(gateway.ctx.engine, "before_cursor_execute", count)
    try:
        before = dt.datetime.now(dt.UTC)
        for sid, token in zip(sessions, (None, gateway.other_token), strict=True):
            r = gateway.client.get(f"/api/v1/sessions/{sid}/cards", headers=gateway.headers(token))
            assert r.status_code == 200, r.text
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_last_seen(gateway, sid) < before for sid in sessions):
            time.sleep(0.1)
        assert all(before - dt.timedelta(seconds=1) <= _last_seen(gateway, sid) for sid in sessions)
        assert len(touches) == 1, touches  # both sessions in one statement
    finally:
        event.remove(gateway.ctx.engine, "before_cursor_execute", count)


def test_a_failed_last_seen_write_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    class Unreachable(ReadConnections):
        def __init__(self) -> None:
            pass

        def connect(self):  # type: ignore[no-untyped-def]
            raise OSError("database unreachable")

    LastSeenWriter(Unreachable()).write({"0" * 32: dt.datetime.now(dt.UTC)})
    assert "session last-seen write failed" in caplog.text


def test_a_broken_database_link_answers_503_then_the_next_query_is_served(gateway: Gateway) -> None:
    sid = gateway.start(gateway.person(skip=6))
    url = f"/api/v1/sessions/{sid}/cards"
    assert gateway.client.get(url, headers=gateway.headers()).status_code == 200
    pinned = gateway.ctx.reads._pinned  # the event loop's connection, which served that query
    assert pinned is not None
    # What a database restart does to an open link: the driver finds its connection gone.
    pinned.connection.dbapi_connection.close()  # type: ignore[union-attr]
    r = gateway.client.get(url, headers=gateway.headers())
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "database_unavailable"
    assert r.json()["error"]["message_zh"] == "数据库暂时不可用，请稍后再试"
    assert gateway.client.get(url, headers=gateway.headers()).status_code == 200
