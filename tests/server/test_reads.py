"""The read path on both databases: the one-statement 参保信息 and the pinned read connection."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import delete, text
from sqlalchemy.exc import DBAPIError

from kiosk.ssn import make_ssn
from server.db import ReadConnections
from server.models import Person
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
