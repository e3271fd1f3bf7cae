"""Gateway figures: resident-journey latency and query throughput, SQLite and PostgreSQL.

The gateway runs as ``python -m server --workers 2`` in a subprocess (as deployed), on a database
seeded with generated persons (full run: 100 000 persons, about 10^8 contribution rows). Figures:
- journey p50/p95 (start session the real way: challenge, the card's key-02 answer after its PIN,
  session start; then 参保信息 + 缴费明细 page + 缴费凭证 issue + end), baseline /healthz; the
  journeys go round the simulated terminals, as residents do, within each terminal's start limit;
- the main query endpoints (参保信息, 缴费明细 page of 20, 社保卡 in turn) with 50 simulated terminals,
  each in its own resident session, driven by wrk (benchmarks/loadgen.py): flat out (each terminal
  asks again as soon as it has its answer: the most the gateway serves, and the latency then), and
  paced at 1 000 queries/s in all (the latency at the goal's load); baseline the same loads on
  /healthz;
- each main query endpoint on its own, flat out and paced at 1 000 queries/s (also 待遇发放 and
  个人权益单, which reads the yearly sums of decades of contributions).

Seeding 10^8 rows takes about ten minutes per database, so the full run keeps the seeded SQLite
file and PostgreSQL cluster in ``$RENSHE_BENCH_CACHE`` (default /var/tmp/renshe-bench-cache),
keyed by persons, seed and month, and starts on them again next time (migrated to the current
schema first). ``RENSHE_BENCH_DATABASES=postgresql`` leaves SQLite out.
PostgreSQL runs with a server's usual memory settings (shared_buffers 1 GB), not the defaults.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from benchmarks.loadgen import HttpRequest, LoadResult, run_wrk
from common.card_auth import KEY_CARDHOLDER, card_keys_from_json
from drivers.card.simulated_reader import SimulatedCardReader
from drivers.card.simulator import VirtualSocialSecurityCard
from drivers.card.sscard import internal_authenticate, select_ssse, verify_pin
from kiosk.models import card_data_from_json
from server.auth import create_terminal, enroll
from server.card_keys import FileKeyStore, key_file_path
from server.db import make_engine, make_session_factory, migrate
from server.devdb import PostgresUnavailable, ThrowawayPostgres, free_port
from server.seeding import demo_card_profiles, seed_database
from server.settings import sqlite_url

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
SEED = 7
WORKERS = 2
PG_OPTIONS = "-c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _cache_key(persons: int) -> str:
    # No schema revision in the key: the gateway runs the migrations on start, so a cached
    # database is brought up to the current schema like any deployed one.
    return f"{persons}p-seed{SEED}-{dt.date.today():%Y%m}"


def _cache_dir() -> Path:
    return Path(os.environ.get("RENSHE_BENCH_CACHE", "/var/tmp/renshe-bench-cache"))


def _seed(database_url: str, persons: int) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    started = time.monotonic()

    def progress(done: int) -> None:
        if done % 10_000 == 0 or done == persons:
            print(f"# seeding {done}/{persons} persons, {time.monotonic() - started:.0f} s", file=sys.stderr)

    with make_session_factory(engine).begin() as db:
        seed_database(db, persons, SEED, progress=progress)
    engine.dispose()


def _migrate(database_url: str) -> None:
    engine = make_engine(database_url)
    started = time.monotonic()
    migrate(engine)
    engine.dispose()
    print(f"# cached database migrated in {time.monotonic() - started:.0f} s", file=sys.stderr)


def _vacuum(database_url: str) -> None:
    """VACUUM the freshly loaded database, as its operators would before going live. Left to
    autovacuum, the pass over 10^8 new rows starts a minute into the measurement, takes a core
    for many minutes, and starts again from nothing each time the cached cluster is restarted."""
    engine = make_engine(database_url)
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
    engine.dispose()


def _sqlite_database(persons: int, scratch: Path, cached: bool) -> str:
    if not cached:
        url = sqlite_url(scratch)
        _seed(url, persons)
        return url
    target = _cache_dir() / f"gateway-{_cache_key(persons)}.sqlite"
    if not target.exists():
        partial = target.with_name(target.name + ".partial")
        partial.parent.mkdir(parents=True, exist_ok=True)
        for leftover in partial.parent.glob(partial.name + "*"):
            leftover.unlink()
        _seed(f"sqlite:///{partial}", persons)
        partial.rename(target)
    return f"sqlite:///{target}"


def _postgres(persons: int, cached: bool) -> tuple[ThrowawayPostgres, str]:
    """A started PostgreSQL holding a seeded ``gateway`` database (raises PostgresUnavailable)."""
    keep = _cache_dir() / f"pg-{_cache_key(persons)}" if cached else None
    if keep is not None and keep.exists() and not (keep / "seeded").exists():
        shutil.rmtree(keep)  # a seeding run that did not finish
    pg = ThrowawayPostgres(keep_dir=keep).start(PG_OPTIONS)
    try:
        if keep is not None and (keep / "seeded").exists():
            url = pg.database_url("gateway")
            # The gateway would migrate the cached database itself, but a migration's backfill over
            # 10^8 rows (0009: the yearly sums) takes minutes, past the gateway's start deadline.
            _migrate(url)
            return pg, url
        url = pg.create_database("gateway")
        _seed(url, persons)
        _vacuum(url)
        if keep is not None:
            (keep / "seeded").write_text(f"{persons}\n")
        return pg, url
    except BaseException:
        pg.stop()
        raise


class _Gateway:
    """``python -m server --workers W`` on ``database_url``, with ``terminals`` enrolled terminals."""

    def __init__(self, data_dir: Path, database_url: str, terminals: int, workers: int) -> None:
        engine = make_engine(database_url)
        sessions = make_session_factory(engine)
        self.tokens: list[str] = []
        with sessions.begin() as db:
            for i in range(terminals):
                tid = f"BENCH-{i:03d}"
                self.tokens.append(enroll(db, tid, create_terminal(db, tid, "320583")))
        # The gateway below reads the issuer key file of this data directory: the cards get their keys from it.
        keys = FileKeyStore.load_or_create(key_file_path(data_dir, None))
        with sessions() as db:
            self.people = [p for p in demo_card_profiles(db, keys) if p["card_status"] == "normal"]
        engine.dispose()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "RENSHE_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "server", "--port", str(port), "--workers", str(workers)]
        self.proc = subprocess.Popen(
            [*command, "--data-dir", str(data_dir)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("benchmark gateway did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def open_session(self, http: requests.Session, terminal: int, person: int) -> str:
        """A ``card_pin`` session the kiosk's way: the gateway's challenge, answered by the resident's
        (simulated) card with key 02 after its PIN, over the card's real APDUs."""
        p = self.people[person % len(self.people)]
        headers = {"Authorization": f"Bearer {self.tokens[terminal]}"}
        issued = http.post(f"{self.url}/api/v1/sessions/challenge", headers=headers, timeout=30)
        issued.raise_for_status()
        challenge = str(issued.json()["challenge"])
        response = http.post(
            f"{self.url}/api/v1/sessions",
            json={
                "ssn": p["ssn"],
                "card_number": p["card_number"],
                "challenge": challenge,
                "cryptogram": _card_answer(p, bytes.fromhex(challenge)).hex(),
            },
            headers=headers,
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["session_id"])


def _card_answer(person: dict[str, Any], challenge: bytes) -> bytes:
    """The person's card, as the issuer personalised it, answering INTERNAL AUTHENTICATE with key 02
    after its PIN was verified."""
    card = VirtualSocialSecurityCard.from_card_data(
        card_data_from_json(person), person["pin"], keys=card_keys_from_json(person["card_keys"])
    )
    reader = SimulatedCardReader()
    reader.insert(card)
    with reader.connect() as conn:
        select_ssse(conn)
        if not verify_pin(conn, person["pin"], select=False).ok:
            raise RuntimeError("a demo card refused its own PIN")
        return internal_authenticate(conn, KEY_CARDHOLDER, challenge)


def _journey(gw: _Gateway, rounds: int) -> tuple[list[float], list[float]]:
    http = requests.Session()
    journeys, health = [], []
    for i in range(rounds):
        terminal = i % len(gw.tokens)  # residents come to every terminal, none past its start limit
        headers = {"Authorization": f"Bearer {gw.tokens[terminal]}"}
        t0 = time.perf_counter()
        sid = gw.open_session(http, terminal, i * 37)
        base = f"{gw.url}/api/v1/sessions/{sid}"
        http.get(f"{base}/insurance", headers=headers, timeout=10).raise_for_status()
        http.get(f"{base}/contributions", params={"page_size": 20}, headers=headers, timeout=10).raise_for_status()
        http.post(
            f"{base}/certificates",
            json={"kind": "payment", "idempotency_key": f"bench-{time.time_ns()}"},
            headers=headers,
            timeout=10,
        ).raise_for_status()
        http.delete(base, headers=headers, timeout=10)
        journeys.append((time.perf_counter() - t0) * 1000)
        t1 = time.perf_counter()
        http.get(f"{gw.url}/healthz", timeout=10).raise_for_status()
        health.append((time.perf_counter() - t1) * 1000)
    return journeys, health


# The main query endpoints, by the name their rows carry; the mix cycles through the first three.
ENDPOINTS = {
    "参保信息": "insurance",
    "缴费明细": "contributions?page_size=20",
    "社保卡": "cards",
    "待遇发放": "benefits",
    "个人权益单": "rights",
}
MIX = ("参保信息", "缴费明细", "社保卡")


def _endpoint_requests(gw: _Gateway, terminals: int) -> dict[str, list[HttpRequest]]:
    """One open resident session per terminal (each on another person): per endpoint, its request
    from every terminal."""
    http = requests.Session()
    out: dict[str, list[HttpRequest]] = {name: [] for name in ENDPOINTS}
    for i in range(terminals):
        sid = gw.open_session(http, i, 1 + i * 101)
        auth = f"Bearer {gw.tokens[i]}"
        for name, path in ENDPOINTS.items():
            out[name].append(HttpRequest("GET", f"/api/v1/sessions/{sid}/{path}", auth))
    return out


def _mix(by_endpoint: dict[str, list[HttpRequest]]) -> list[HttpRequest]:
    """Each terminal's 参保信息, 缴费明细 and 社保卡 in turn."""
    return [
        request for per_terminal in zip(*(by_endpoint[name] for name in MIX), strict=True) for request in per_terminal
    ]


def _checked(result: LoadResult, what: str) -> LoadResult:
    if result.errors:
        raise RuntimeError(f"{what}: {result.errors} of {result.requests} requests failed")
    return result


def _rows(label: str, gw: _Gateway, quick: bool, concurrency: int) -> list[dict[str, Any]]:
    journeys, health = _journey(gw, 10 if quick else 60)
    seconds = 3.0 if quick else 20.0
    rate = 200.0 if quick else 1000.0
    by_endpoint = _endpoint_requests(gw, concurrency)
    queries = _mix(by_endpoint)
    healthz = [HttpRequest("GET", "/healthz")]
    most = _checked(run_wrk(gw.url, queries, concurrency, seconds), "queries")
    each = {
        name: _checked(run_wrk(gw.url, requests_, concurrency, seconds / 2), name)
        for name, requests_ in by_endpoint.items()
    }
    each_paced = {
        name: _checked(run_wrk(gw.url, requests_, concurrency, seconds / 2, rate=rate), f"paced {name}")
        for name, requests_ in by_endpoint.items()
    }
    most_h = _checked(run_wrk(gw.url, healthz, concurrency, seconds), "/healthz")
    paced = _checked(run_wrk(gw.url, queries, concurrency, seconds, rate=rate), "paced queries")
    paced_h = _checked(run_wrk(gw.url, healthz, concurrency, seconds, rate=rate), "paced /healthz")
    at = f"@{concurrency} terminals"
    at_rate = f"@{rate:.0f} q/s offered by {concurrency} terminals"

    def row(name: str, value: float, unit: str, baseline_name: str, baseline: float) -> dict[str, Any]:
        return {
            "name": f"server[{label}]: {name}",
            "value": value,
            "unit": unit,
            "baseline_name": baseline_name,
            "baseline": baseline,
        }

    return (
        [
            row("journey p50", statistics.median(journeys), "ms", "/healthz p50", statistics.median(health)),
            row("journey p95", _pct(journeys, 0.95), "ms", "/healthz p95", _pct(health, 0.95)),
            row(f"most queries/s {at}", most.per_second, "req/s", "/healthz req/s", most_h.per_second),
            row(f"query p50 {at}, flat out", most.p50_ms, "ms", "/healthz p50", most_h.p50_ms),
            row(f"query p99 {at}, flat out", most.p99_ms, "ms", "/healthz p99", most_h.p99_ms),
            row(f"queries/s served {at_rate}", paced.per_second, "req/s", "/healthz req/s", paced_h.per_second),
            row(f"query p50 {at_rate}", paced.p50_ms, "ms", "/healthz p50", paced_h.p50_ms),
            row(f"query p99 {at_rate}", paced.p99_ms, "ms", "/healthz p99", paced_h.p99_ms),
        ]
        + [
            row(f"{name} {figure} {at}, flat out", value, unit, f"/healthz {figure}", baseline)
            for name, result in each.items()
            for figure, value, unit, baseline in (
                ("req/s", result.per_second, "req/s", most_h.per_second),
                ("p50", result.p50_ms, "ms", most_h.p50_ms),
                ("p99", result.p99_ms, "ms", most_h.p99_ms),
            )
        ]
        + [
            # Each query alone at the goal's rate (issue 17: ≥ 1 000 q/s served, p99 ≤ 50 ms).
            row(f"{name} {figure} {at_rate}", value, unit, f"/healthz {figure}", baseline)
            for name, result in each_paced.items()
            for figure, value, unit, baseline in (
                ("req/s served", result.per_second, "req/s", paced_h.per_second),
                ("p99", result.p99_ms, "ms", paced_h.p99_ms),
            )
        ]
    )


def run(quick: bool) -> list[dict[str, Any]]:
    persons = int(os.environ.get("RENSHE_BENCH_PERSONS", 300 if quick else 100_000))
    cached = not quick
    concurrency = 10 if quick else 50
    # RENSHE_BENCH_DATABASES=postgresql measures PostgreSQL only (its seeding alone is the long part).
    databases = os.environ.get("RENSHE_BENCH_DATABASES", "sqlite,postgresql").split(",")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        data_dir = Path(tmp)
        if "sqlite" in databases:
            label = f"sqlite, {persons:,} persons"
            gw = _Gateway(data_dir, _sqlite_database(persons, data_dir, cached), concurrency, WORKERS)
            try:
                rows += _rows(label, gw, quick, concurrency)
            finally:
                gw.stop()
        if "postgresql" not in databases:
            return rows
        try:
            pg, url = _postgres(persons, cached)
        except PostgresUnavailable:
            logger.warning("PostgreSQL not installed: no PostgreSQL figures")
            return rows
        try:
            gw = _Gateway(data_dir, url, concurrency, WORKERS)
            try:
                rows += _rows(f"postgresql, {persons:,} persons", gw, quick, concurrency)
            finally:
                gw.stop()
        finally:
            pg.stop()
    return rows
