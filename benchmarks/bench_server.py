"""Gateway figures: resident-journey latency and query throughput, SQLite and PostgreSQL.

The gateway runs as ``python -m server --workers W`` in a subprocess (as deployed), on a database
seeded with generated persons. Figures:
- journey p50/p95 (start session + 参保信息 + 缴费明细 page + 缴费凭证 issue + end), baseline /healthz;
- query throughput and p50/p99 of the main query endpoints with C concurrent simulated terminals,
  baseline the same load on /healthz.
PostgreSQL rows appear when its binaries are installed (a throw-away server is started).
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from server.auth import create_terminal, enroll
from server.db import make_engine, make_session_factory, migrate
from server.demo_data import demo_card_profiles, seed_database
from server.devdb import PostgresUnavailable, ThrowawayPostgres
from server.settings import sqlite_url

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class _Gateway:
    def __init__(self, data_dir: Path, database_url: str, persons: int, terminals: int, workers: int) -> None:
        engine = make_engine(database_url)
        migrate(engine)
        sessions = make_session_factory(engine)
        with sessions.begin() as db:
            seed_database(db, persons, 7)
        self.tokens: list[str] = []
        with sessions.begin() as db:
            for i in range(terminals):
                tid = f"BENCH-{i:03d}"
                self.tokens.append(enroll(db, tid, create_terminal(db, tid, "320583")))
        with sessions() as db:
            self.people = [p for p in demo_card_profiles(db) if p["card_status"] == "normal"]
        engine.dispose()
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "RENSHE_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--data-dir",
                str(data_dir),
            ],
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


def _journey(gw: _Gateway, rounds: int) -> tuple[list[float], list[float]]:
    http = requests.Session()
    headers = {"Authorization": f"Bearer {gw.tokens[0]}"}
    journeys, health = [], []
    for i in range(rounds):
        p = gw.people[i % len(gw.people)]
        t0 = time.perf_counter()
        sid = http.post(
            f"{gw.url}/api/v1/sessions",
            json={"ssn": p["ssn"], "card_number": p["card_number"]},
            headers=headers,
            timeout=10,
        ).json()["session_id"]
        http.get(f"{gw.url}/api/v1/sessions/{sid}/insurance", headers=headers, timeout=10).raise_for_status()
        http.get(
            f"{gw.url}/api/v1/sessions/{sid}/contributions", params={"page_size": 20}, headers=headers, timeout=10
        ).raise_for_status()
        http.post(
            f"{gw.url}/api/v1/sessions/{sid}/certificates",
            json={"kind": "payment", "idempotency_key": f"bench-{time.time_ns()}"},
            headers=headers,
            timeout=10,
        ).raise_for_status()
        http.delete(f"{gw.url}/api/v1/sessions/{sid}", headers=headers, timeout=10)
        journeys.append((time.perf_counter() - t0) * 1000)
        t1 = time.perf_counter()
        http.get(f"{gw.url}/healthz", timeout=10).raise_for_status()
        health.append((time.perf_counter() - t1) * 1000)
    return journeys, health


def _load(gw: _Gateway, concurrency: int, seconds: float, query: bool) -> tuple[float, list[float]]:
    """Each thread is one terminal with its own session; returns (requests/s, latencies ms)."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def terminal(i: int) -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {gw.tokens[i]}"}
        p = gw.people[i % len(gw.people)]
        sid = http.post(
            f"{gw.url}/api/v1/sessions",
            json={"ssn": p["ssn"], "card_number": p["card_number"]},
            headers=headers,
            timeout=30,
        ).json()["session_id"]
        paths: list[Callable[[], Any]] = (
            [
                lambda: http.get(f"{gw.url}/api/v1/sessions/{sid}/insurance", headers=headers, timeout=30),
                lambda: http.get(
                    f"{gw.url}/api/v1/sessions/{sid}/contributions",
                    params={"page_size": 20},
                    headers=headers,
                    timeout=30,
                ),
                lambda: http.get(f"{gw.url}/api/v1/sessions/{sid}/cards", headers=headers, timeout=30),
            ]
            if query
            else [lambda: http.get(f"{gw.url}/healthz", timeout=30)]
        )
        mine: list[float] = []
        k = 0
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            paths[k % len(paths)]().raise_for_status()
            mine.append((time.perf_counter() - t0) * 1000)
            k += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=terminal, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - started), latencies


def _rows(label: str, gw: _Gateway, quick: bool, concurrency: int) -> list[dict[str, Any]]:
    journeys, health = _journey(gw, 10 if quick else 60)
    seconds = 2.0 if quick else 10.0
    qps, lat = _load(gw, concurrency, seconds, query=True)
    hqps, hlat = _load(gw, concurrency, seconds, query=False)
    return [
        {
            "name": f"server[{label}]: journey p50",
            "value": statistics.median(journeys),
            "unit": "ms",
            "baseline_name": "/healthz p50",
            "baseline": statistics.median(health),
        },
        {
            "name": f"server[{label}]: journey p95",
            "value": _pct(journeys, 0.95),
            "unit": "ms",
            "baseline_name": "/healthz p95",
            "baseline": _pct(health, 0.95),
        },
        {
            "name": f"server[{label}]: queries/s @{concurrency} terminals",
            "value": qps,
            "unit": "req/s",
            "baseline_name": "/healthz req/s",
            "baseline": hqps,
        },
        {
            "name": f"server[{label}]: query p50 @{concurrency}",
            "value": statistics.median(lat),
            "unit": "ms",
            "baseline_name": "/healthz p50",
            "baseline": statistics.median(hlat),
        },
        {
            "name": f"server[{label}]: query p99 @{concurrency}",
            "value": _pct(lat, 0.99),
            "unit": "ms",
            "baseline_name": "/healthz p99",
            "baseline": _pct(hlat, 0.99),
        },
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    persons = 100 if quick else 1000
    concurrency = 10 if quick else 50
    workers = 2
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        data_dir = Path(tmp)
        gw = _Gateway(data_dir, sqlite_url(data_dir), persons, concurrency, workers)
        try:
            rows += _rows("sqlite", gw, quick, concurrency)
        finally:
            gw.stop()
        pg = ThrowawayPostgres()
        try:
            pg.start()
        except PostgresUnavailable:
            logger.warning("PostgreSQL not installed: no PostgreSQL figures")
            return rows
        try:
            gw = _Gateway(data_dir, pg.create_database("bench"), persons, concurrency, workers)
            try:
                rows += _rows("postgresql", gw, quick, concurrency)
            finally:
                gw.stop()
        finally:
            pg.stop()
    return rows
