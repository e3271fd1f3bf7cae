"""Gateway read throughput with and without a PostgreSQL streaming replica (server.replica).

A small run, not the 100 000-person benchmark (benchmarks/bench_server.py): a primary seeded with
``RENSHE_BENCH_REPLICA_PERSONS`` generated persons (default 2 000; 300 quick) and a hot standby of
it (server.devdb.start_standby); ``python -m server --workers 2`` on the primary alone, then on the
primary with ``RENSHE_REPLICA_DATABASE_URL``, both in turn twice; each driven flat out by wrk with
the 参保信息 / 缴费明细 / 社保卡 mix of bench_server, one resident session per simulated terminal.
Rows: the best queries/s (and that run's p99) with the replica, the primary alone's best as the
baseline; and the share of the statements run on the replica during the runs with it
(pg_stat_database.xact_commit: the reads are autocommit, one statement each; the few hundred
set-up statements, enrolments and sign-ins, count with the primary's): where the reads went.
On one 2-core machine the primary, the replica, two gateway workers and wrk share the cores, so
this measures the routing's overhead more than the scaling a replica on its own machine gives.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from benchmarks.bench_server import WORKERS, _checked, _endpoint_requests, _Gateway, _mix, _seed, _vacuum
from benchmarks.loadgen import LoadResult, run_wrk
from server.devdb import ThrowawayPostgres, start_standby

logger = logging.getLogger(__name__)

ROUNDS = 2
_COMMITS = text("SELECT xact_commit FROM pg_stat_database WHERE datname = 'gateway'")


def _commits(url: str) -> int:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return int(conn.scalar(_COMMITS) or 0)
    finally:
        engine.dispose()


def _load(data_dir: Path, url: str, replica_url: str | None, terminals: int, seconds: float) -> LoadResult:
    """wrk flat out on the mix against a gateway on ``url`` (and ``replica_url`` when given)."""
    previous = os.environ.pop("RENSHE_REPLICA_DATABASE_URL", None)
    if replica_url:
        os.environ["RENSHE_REPLICA_DATABASE_URL"] = replica_url  # read by the gateway subprocess
    try:
        gw = _Gateway(data_dir, url, terminals, WORKERS)
    finally:
        os.environ.pop("RENSHE_REPLICA_DATABASE_URL", None)
        if previous is not None:
            os.environ["RENSHE_REPLICA_DATABASE_URL"] = previous
    try:
        queries = _mix(_endpoint_requests(gw, terminals))
        run_wrk(gw.url, queries, terminals, 1.0)  # warm the caches and the pinned connections
        return _checked(run_wrk(gw.url, queries, terminals, seconds), "queries")
    finally:
        gw.stop()


def _rate(result: LoadResult) -> float:
    return result.per_second


def run(quick: bool) -> list[dict[str, Any]]:
    persons = int(os.environ.get("RENSHE_BENCH_REPLICA_PERSONS", 300 if quick else 2000))
    terminals = 10 if quick else 30
    seconds = 3.0 if quick else 10.0
    primary = ThrowawayPostgres().start()
    try:
        url = primary.create_database("gateway")
        _seed(url, persons)
        _vacuum(url)
        replica = start_standby(primary)
        try:
            replica_url = replica.database_url("gateway")
            alone: list[LoadResult] = []
            routed: list[LoadResult] = []
            on_primary = on_replica = 0
            with tempfile.TemporaryDirectory(prefix="bench-replica-") as tmp:
                # In turn, so a neighbour's load on the shared cores weighs on both alike.
                for i in range(ROUNDS):
                    alone.append(_load(Path(tmp) / f"alone-{i}", url, None, terminals, seconds))
                    before = (_commits(url), _commits(replica_url))
                    routed.append(_load(Path(tmp) / f"routed-{i}", url, replica_url, terminals, seconds))
                    on_primary += _commits(url) - before[0]
                    on_replica += _commits(replica_url) - before[1]
        finally:
            replica.stop()
    finally:
        primary.stop()
    label = f"server[replica, {persons:,} persons, {terminals} terminals, best of {ROUNDS}]"
    best, best_alone = max(routed, key=_rate), max(alone, key=_rate)
    share = on_replica / (on_primary + on_replica) if on_primary + on_replica else 0.0
    return [
        {
            "name": f"{label}: queries/s with the replica",
            "value": best.per_second,
            "unit": "req/s",
            "baseline_name": "primary alone",
            "baseline": best_alone.per_second,
        },
        {
            "name": f"{label}: query p99 with the replica",
            "value": best.p99_ms,
            "unit": "ms",
            "baseline_name": "primary alone",
            "baseline": best_alone.p99_ms,
        },
        {
            "name": f"{label}: share of statements on the replica",
            "value": share,
            "unit": "fraction",
            "baseline_name": "statements on the primary",
            "baseline": float(on_primary),
        },
    ]
