"""Read scaling on a real PostgreSQL 15 streaming replica (server.replica, docs/read-replica.md).

A primary and a hot standby made from it with ``pg_basebackup -R`` (``ThrowawayPostgres`` and
``start_standby`` of server.devdb: free loopback ports, run as the ``postgres`` user under root)
serve one gateway. The tests show the hot resident reads answered by the replica, read-your-writes
with the replica's replay paused (an application submitted, then 办事进度 and 社保卡 at once), the
lag limit, and a stopped replica.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text, update

from server.app import create_app
from server.devdb import PostgresUnavailable, ThrowawayPostgres, start_standby
from server.models import Person
from server.replica import READ_HORIZON
from server.settings import ServerSettings
from tests.server.conftest import SUITE_LIMITS, Gateway, _gateway

pytestmark = pytest.mark.postgres

HOT_READS = ("insurance", "contributions", "benefits", "cards", "rights", "applications")


class Pair:
    """The primary and its streaming replica, with superuser connections to both for the checks."""

    def __init__(self, primary: ThrowawayPostgres, replica: ThrowawayPostgres, primary_url: str, replica_url: str):
        self.primary, self.replica = primary, replica
        self.primary_url, self.replica_url = primary_url, replica_url
        self.on_primary = create_engine(primary_url, isolation_level="AUTOCOMMIT")
        self.on_replica = create_engine(replica_url, isolation_level="AUTOCOMMIT")

    def caught_up(self, timeout: float = 10.0) -> None:
        """Wait until the replica has replayed everything the primary has flushed."""
        with self.on_primary.connect() as conn:
            target = conn.scalar(text("SELECT pg_current_wal_flush_lsn() - '0/0'::pg_lsn"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.on_replica.connect() as conn:
                if conn.scalar(text("SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn")) >= target:
                    return
            time.sleep(0.02)
        pytest.fail("the replica did not catch up with the primary")

    def replay(self, run: bool) -> None:
        with self.on_replica.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()" if run else "SELECT pg_wal_replay_pause()"))

    def dispose(self) -> None:
        self.on_primary.dispose()
        self.on_replica.dispose()


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    primary = ThrowawayPostgres()
    try:
        primary.start()
        primary_url = primary.create_database("renshe")
        replica = start_standby(primary)
    except PostgresUnavailable as exc:
        primary.stop()
        pytest.fail(str(exc))
    pg = Pair(primary, replica, primary_url, replica.database_url("renshe"))
    try:
        yield pg
    finally:
        pg.dispose()
        replica.stop()
        primary.stop()


@pytest.fixture(scope="module")
def gateway(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = ServerSettings(
        data_dir=tmp_path_factory.mktemp("gw-replica"),
        database_url=pair.primary_url,
        replica_database_url=pair.replica_url,
        public_base_url="https://verify.example.test",
        terminal_limits=SUITE_LIMITS,
    )
    yield from _gateway("replica", settings)


def _read(gw: Gateway, sid: str, what: str) -> dict:
    r = gw.client.get(f"/api/v1/sessions/{sid}/{what}", headers=gw.headers())
    assert r.status_code == 200, r.text
    return r.json()


def _counts(gw: Gateway) -> tuple[int, int]:
    router = gw.ctx.router
    assert router is not None
    return router.replica_reads, router.primary_reads


def _all_on_replica(pair: Pair, gw: Gateway, sid: str) -> int:
    """Reads every hot query once the replica has caught up; the reads the replica answered.
    Tried again when the primary wrote something of its own (a checkpoint, a standby snapshot)
    between the catch-up and the reads, which sends them to the primary, as it should."""
    for _ in range(5):
        pair.caught_up()
        replica_before, primary_before = _counts(gw)
        for what in HOT_READS:
            _read(gw, sid, what)
        replica_after, primary_after = _counts(gw)
        if primary_after == primary_before:
            return replica_after - replica_before
    pytest.fail("the hot reads kept going to the primary")


def test_hot_reads_answered_by_the_replica(pair: Pair, gateway: Gateway) -> None:
    sid = gateway.start(gateway.person(skip=1))
    # 权益单 and 办事进度 read the person and then their rows: two reads; every other query one.
    assert _all_on_replica(pair, gateway, sid) == len(HOT_READS) + 2
    with pair.on_replica.connect() as conn:
        names = conn.scalars(text("SELECT application_name FROM pg_stat_activity WHERE datname = 'renshe'")).all()
    assert "renshe-gateway-replica" in names


def test_replica_holds_stale_rows_the_gateway_never_serves(pair: Pair, gateway: Gateway) -> None:
    """With replay paused, the replica still holds another resident's old phone number (a read at
    an old horizon sees it), yet the gateway's request for that resident answers the new one."""
    person = gateway.person(skip=2)
    sid = gateway.start(person)
    pair.caught_up()
    pair.replay(False)
    try:
        with pair.on_primary.begin() as conn:
            conn.execute(update(Person).where(Person.ssn == person["ssn"]).values(phone="13700000001"))
        token = READ_HORIZON.set(0)  # "anything the replica has": what a per-process guess could use
        try:
            stale = gateway.ctx.source.find_person(person["ssn"])
        finally:
            READ_HORIZON.reset(token)
        assert stale is not None and stale.phone != "13700000001"
        with gateway.ctx.sessions() as db:
            assert db.get_one(Person, stale.person_id).phone == "13700000001"
        replica_before, primary_before = _counts(gateway)
        _read(gateway, sid, "insurance")
        assert _counts(gateway) == (replica_before, primary_before + 1)
    finally:
        pair.replay(True)


def test_read_your_writes_with_replay_paused(pair: Pair, gateway: Gateway) -> None:
    person = gateway.person(skip=3)
    sid = gateway.start(person)
    pair.caught_up()
    pair.replay(False)
    try:
        r = gateway.client.post(
            f"/api/v1/sessions/{sid}/applications",
            json={"kind": "card_suspend", "idempotency_key": "replica-suspend"},
            headers=gateway.headers(),
        )
        assert r.status_code == 201, r.text
        number = r.json()["number"]
        replica_before, _ = _counts(gateway)
        progress = _read(gateway, sid, "applications")
        assert progress["items"][0]["number"] == number
        cards = _read(gateway, sid, "cards")["cards"]
        assert any(c["is_current"] and c["status"] == "temp_lost" for c in cards), cards
        assert _counts(gateway)[0] == replica_before  # both from the primary: the replica is behind
    finally:
        pair.replay(True)
    # Caught up: the replica answers, and shows the application.
    assert _all_on_replica(pair, gateway, sid) == len(HOT_READS) + 2
    assert _read(gateway, sid, "applications")["items"][0]["number"] == number


def test_written_in_one_gateway_process_read_in_another(pair: Pair, gateway: Gateway) -> None:
    """Two gateways (as two worker processes: each its own router, nothing shared but the
    databases): a card suspended through one shows at once in the other's 社保卡 and 办事进度."""
    settings = dataclasses.replace(gateway.ctx.settings, migrate_on_start=False)
    other_app = create_app(settings, key_store=gateway.ctx.card_keys)
    sid = gateway.start(gateway.person(skip=7))
    try:
        with TestClient(other_app) as other_client:
            other = dataclasses.replace(gateway, client=other_client, ctx=other_app.state.ctx)
            _all_on_replica(pair, other, sid)  # the other gateway knows the replica has caught up
            pair.replay(False)
            try:
                r = gateway.client.post(
                    f"/api/v1/sessions/{sid}/applications",
                    json={"kind": "card_suspend", "idempotency_key": "replica-two-gateways"},
                    headers=gateway.headers(),
                )
                assert r.status_code == 201, r.text
                replica_before, primary_before = _counts(other)
                assert _read(other, sid, "applications")["items"][0]["number"] == r.json()["number"]
                cards = _read(other, sid, "cards")["cards"]
                assert any(c["is_current"] and c["status"] == "temp_lost" for c in cards), cards
                assert _counts(other) == (replica_before, primary_before + 3)  # person, 办事进度, 社保卡
            finally:
                pair.replay(True)
    finally:
        other_app.state.ctx.engine.dispose()


def test_lagging_replica_is_set_aside(pair: Pair, gateway: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    router = gateway.ctx.router
    assert router is not None
    sid = gateway.start(gateway.person(skip=4))
    pair.caught_up()
    limit, router.max_lag_seconds = router.max_lag_seconds, 0.2
    pair.replay(False)
    try:
        with pair.on_primary.begin() as conn:  # WAL the paused replica cannot reach
            conn.execute(update(Person).where(Person.id == 1).values(phone=Person.phone))
        with caplog.at_level(logging.WARNING, logger="server.replica"):
            _read(gateway, sid, "insurance")
            time.sleep(0.3)
            _read(gateway, sid, "insurance")
        assert any("behind the primary" in r.getMessage() for r in caplog.records), caplog.text
    finally:
        pair.replay(True)
        router.max_lag_seconds = limit
        router._skip_until = 0.0  # the next test starts with the replica in use
    pair.caught_up()


def test_stopped_replica_reads_answered_by_primary(
    pair: Pair, gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    """Runs last in the module: the replica stays stopped."""
    sid = gateway.start(gateway.person(skip=5))
    pair.caught_up()
    _read(gateway, sid, "insurance")  # the replica's pinned connection is open now
    pair.on_replica.dispose()
    pair.replica.stop()
    with caplog.at_level(logging.WARNING, logger="server.replica"):
        replica_before, primary_before = _counts(gateway)
        for what in HOT_READS:
            _read(gateway, sid, what)
        assert gateway.client.get("/healthz").status_code == 200
    replica_after, primary_after = _counts(gateway)
    assert replica_after == replica_before and primary_after > primary_before
    assert any("read replica set aside" in r.getMessage() for r in caplog.records), caplog.text


def test_sqlite_has_no_replica(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL primary"):
        ServerSettings(data_dir=tmp_path, replica_database_url="postgresql+psycopg://u@127.0.0.1:1/x")


def test_replica_url_from_flag_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from server.__main__ import _parser, _settings

    primary, replica = "postgresql+psycopg://g@127.0.0.1:1/renshe", "postgresql+psycopg://g@127.0.0.1:2/renshe"
    monkeypatch.setenv("RENSHE_DATABASE_URL", primary)
    monkeypatch.delenv("RENSHE_REPLICA_DATABASE_URL", raising=False)
    monkeypatch.delenv("RENSHE_REPLICA_MAX_LAG_SECONDS", raising=False)
    flags = ["--data-dir", str(tmp_path)]
    assert _settings(_parser().parse_args(flags)).replica_database_url == ""
    chosen = _settings(_parser().parse_args([*flags, "--replica-database-url", replica]))
    assert (chosen.database_url, chosen.replica_database_url, chosen.replica_max_lag_seconds) == (primary, replica, 5.0)
    monkeypatch.setenv("RENSHE_REPLICA_DATABASE_URL", replica)
    monkeypatch.setenv("RENSHE_REPLICA_MAX_LAG_SECONDS", "2.5")
    from_env = ServerSettings.from_env(data_dir=tmp_path)
    assert (from_env.replica_database_url, from_env.replica_max_lag_seconds) == (replica, 2.5)
