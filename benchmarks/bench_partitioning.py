"""Declarative partitioning of the contribution table, shown on the benchmark's PostgreSQL data.

On the database bench_server seeds and caches (full run: 100 000 persons, about 10^8 contribution
rows), the contributions are copied once into ``partitioning.contributions``, partitioned by HASH
of ``person_id`` into ``PARTITIONS`` tables with the same (person_id, period) index, and kept in
the cache for later runs. Every resident query selects one person's rows, so hashing by person
sends each query to one partition; range by year would make every query visit all the years.
Printed (plans on stderr):
- EXPLAIN of one person's months with a literal (pruned at planning) and as a prepared statement
  with the generic plan (pruned at execution: "Subplans Removed"): partitions scanned versus all;
- per-statement time of the contribution queries the gateway runs (缴费明细 totals, 参保信息's paid
  养老 months, the 个人权益单's former SUM by year), for a sample of persons, partitioned versus the
  unpartitioned table, warm cache, measured by the client (round trip included);
- bytes per contribution row, table and indexes, both ways;
- a monthly load (one month, every insurance type, for a share of the persons: INSERT rolled back),
  rows/s both ways.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import time
from typing import Any

from sqlalchemy import Connection, text

from benchmarks.bench_server import _pct, _postgres
from server.db import make_engine

logger = logging.getLogger(__name__)

PARTITIONS = 16
SCHEMA = "partitioning"
QUERIES = {
    "缴费明细 totals": "SELECT count(*), count(DISTINCT CASE WHEN paid THEN period END), sum(personal_amount),"
    " sum(unit_amount) FROM {t} WHERE person_id = :pid",
    "参保信息 paid months": "SELECT count(*), min(period) FROM {t} WHERE person_id = :pid AND type_code = '110' AND paid",
    "缴费明细 page": "SELECT period, type_code, base, personal_amount, unit_amount, paid, region FROM {t}"
    " WHERE person_id = :pid ORDER BY period DESC, type_code LIMIT 20",
    "个人权益单 SUM by year (before 0009)": "SELECT substr(period, 1, 4), type_code, count(*), sum(base),"
    " sum(personal_amount), sum(unit_amount) FROM {t} WHERE person_id = :pid AND paid"
    " GROUP BY 1, 2 ORDER BY 1",
}
YEARS = (
    "SELECT year, type_code, months, base_total, personal_total, unit_total FROM contribution_years"
    " WHERE person_id = :pid ORDER BY year, type_code"
)
PLAIN = "public.contributions"
HASHED = f"{SCHEMA}.contributions"


def _log(message: str) -> None:
    print(f"# {message}", file=sys.stderr)


def _build(conn: Connection, up_to: int) -> None:
    """The partitioned copy of the persons with ids up to ``up_to``, made once per cached database
    (a marker table named after ``up_to`` says it is complete)."""
    marker = f"{SCHEMA}.complete_{up_to}"
    if conn.execute(text("SELECT to_regclass(:n)"), {"n": marker}).scalar() is not None:
        return
    conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    conn.execute(
        text(
            f"CREATE TABLE {HASHED} (LIKE {PLAIN} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            " PARTITION BY HASH (person_id)"
        )
    )
    for i in range(PARTITIONS):
        conn.execute(
            text(
                f"CREATE TABLE {SCHEMA}.contributions_p{i:02d} PARTITION OF {HASHED}"
                f" FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {i})"
            )
        )
    conn.execute(text("SET maintenance_work_mem = '512MB'"))
    started = time.monotonic()
    copy = text(f"INSERT INTO {HASHED} SELECT * FROM {PLAIN} WHERE person_id <= :up_to")
    rows = conn.execute(copy, {"up_to": up_to}).rowcount
    copied = time.monotonic() - started
    _log(f"copied {rows:,} rows into {PARTITIONS} hash partitions in {copied:.0f} s ({rows / copied:,.0f} rows/s)")
    started = time.monotonic()
    # Created on the parent, the index is built on every partition (and on any partition added later).
    conn.execute(text(f"CREATE INDEX ix_hashed_person_period ON {HASHED} (person_id, period)"))
    # A partitioned table's primary key must hold the partition key: (person_id, id), not id alone.
    conn.execute(text(f"ALTER TABLE {HASHED} ADD PRIMARY KEY (person_id, id)"))
    _log(f"indexed (person_id, period) and the key (person_id, id) in {time.monotonic() - started:.0f} s")
    conn.execute(text(f"VACUUM (ANALYZE) {HASHED}"))
    conn.execute(text(f"CREATE TABLE {marker} ()"))


def _plans(conn: Connection, pid: int) -> tuple[int, int]:
    """Partitions scanned for one person: planned with the literal, and the generic plan of a
    prepared statement (pruned when it runs)."""
    literal = conn.execute(text(f"EXPLAIN (COSTS OFF) SELECT count(*) FROM {HASHED} WHERE person_id = {pid:d}"))
    literal_plan = [row[0] for row in literal]
    conn.execute(text(f"PREPARE one_person(integer) AS SELECT count(*) FROM {HASHED} WHERE person_id = $1"))
    conn.execute(text("SET plan_cache_mode = force_generic_plan"))
    generic = conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE one_person({pid:d})"))
    generic_plan = [row[0] for row in generic]
    conn.execute(text("RESET plan_cache_mode"))
    conn.execute(text("DEALLOCATE one_person"))
    _log("plan with the person's id as a literal:\n#   " + "\n#   ".join(literal_plan))
    _log("generic plan of the prepared statement, executed:\n#   " + "\n#   ".join(generic_plan))

    def scanned(plan: list[str]) -> int:
        return sum(1 for line in plan if "on contributions_p" in line and "Scan" in line)

    return scanned(literal_plan), scanned(generic_plan)


def _timed(conn: Connection, sql: str, pids: list[int]) -> list[float]:
    statement = text(sql)
    for pid in pids:  # warm: both tables are measured from the cache, as a busy server serves them
        conn.execute(statement, {"pid": pid}).all()
    out = []
    for pid in pids:
        t0 = time.perf_counter()
        conn.execute(statement, {"pid": pid}).all()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _bytes_per_row(conn: Connection, table: str) -> tuple[float, float, int]:
    """(table bytes per row, index bytes per row, rows) of a table or of all a partitioned table's partitions."""
    parts = conn.execute(
        text(
            "SELECT coalesce(sum(pg_table_size(c.oid)), 0), coalesce(sum(pg_indexes_size(c.oid)), 0),"
            " coalesce(sum(c.reltuples), 0)::bigint FROM pg_class c"
            " WHERE c.oid = CAST(:t AS regclass) AND c.relkind = 'r'"
            " OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = CAST(:t AS regclass))"
        ),
        {"t": table},
    ).one()
    table_bytes, index_bytes, rows = (int(v) for v in parts)
    return table_bytes / max(rows, 1), index_bytes / max(rows, 1), rows


def _monthly_load(conn: Connection, table: str, persons: int) -> float:
    """Rows/s of one month's contributions (every insurance type) for ``persons`` persons inserted
    into ``table``, in a transaction rolled back. Foreign-key triggers off on both (as the seeding
    runs): the partitioned copy has none, and the comparison is of the tables and their indexes."""
    load = text(
        f"INSERT INTO {table} (person_id, type_code, period, base, personal_amount, unit_amount, paid, unit_id,"
        " region) SELECT p.id, t.code, '2099-01', 5000, 400, 800, true, NULL, p.region FROM persons p"
        " CROSS JOIN (VALUES ('110'), ('210'), ('310'), ('410'), ('510')) AS t(code) WHERE p.id <= :persons"
    )
    transaction = conn.begin()
    try:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        t0 = time.perf_counter()
        rows = conn.execute(load, {"persons": persons}).rowcount
        seconds = time.perf_counter() - t0
    finally:
        transaction.rollback()
    return rows / seconds if seconds else 0.0


def run(quick: bool) -> list[dict[str, Any]]:
    persons = int(os.environ.get("RENSHE_BENCH_PERSONS", 300 if quick else 100_000))
    sample = 50 if quick else 1000
    # RENSHE_BENCH_PARTITION_SHARE=0.2 copies the first fifth of the persons only (the whole copy of
    # 10^8 rows takes a quarter of an hour on two cores); sizes per row and per person hold either way.
    share = float(os.environ.get("RENSHE_BENCH_PARTITION_SHARE", "1"))
    pg, url = _postgres(persons, cached=not quick)
    engine = make_engine(url)
    rows: list[dict[str, Any]] = []
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            max_id = int(conn.execute(text("SELECT max(id) FROM persons")).scalar() or 1)
            up_to = max(1, round(max_id * share))
            _build(conn, up_to)
            total = _bytes_per_row(conn, HASHED)[2]
            label = f"partitioning[hash by person x{PARTITIONS}, ids <= {up_to:,}, {total:,} rows]"

            def row(name: str, value: float, unit: str, baseline_name: str, baseline: float) -> None:
                rows.append(
                    {"name": f"{label}: {name}", "value": value, "unit": unit}
                    | {"baseline_name": baseline_name, "baseline": baseline}
                )

            pids = random.Random(7).sample(range(1, up_to + 1), min(sample, up_to))
            literal, generic = _plans(conn, pids[0])
            row("partitions scanned, one person, literal", literal, "tables", "partitions", PARTITIONS)
            row("partitions scanned, one person, generic plan", generic, "tables", "partitions", PARTITIONS)
            for name, sql in QUERIES.items():
                hashed = _timed(conn, sql.format(t=HASHED), pids)
                plain = _timed(conn, sql.format(t=PLAIN), pids)
                for figure, pick in (("p50", 0.5), ("p99", 0.99)):
                    row(f"{name} {figure}", _pct(hashed, pick), "ms", f"unpartitioned {figure}", _pct(plain, pick))
            # What 0009 changed, on the same persons: the statement's rows from the yearly sums.
            years = _timed(conn, YEARS, pids)
            summed = _timed(conn, QUERIES["个人权益单 SUM by year (before 0009)"].format(t=PLAIN), pids)
            for figure, pick in (("p50", 0.5), ("p99", 0.99)):
                row(
                    f"个人权益单 from contribution_years {figure}",
                    _pct(years, pick),
                    "ms",
                    f"SUM by year {figure}",
                    _pct(summed, pick),
                )
            sizes: dict[str, tuple[float, float, int]] = {t: _bytes_per_row(conn, t) for t in (HASHED, PLAIN)}
            for figure, index in (("table bytes/row", 0), ("index bytes/row", 1)):
                row(figure, sizes[HASHED][index], "B", f"unpartitioned {figure}", sizes[PLAIN][index])
        with engine.connect() as conn:
            share = max(1, persons // 10)
            row(
                f"monthly load rows/s, {share:,} persons",
                _monthly_load(conn, HASHED, share),
                "rows/s",
                "unpartitioned rows/s",
                _monthly_load(conn, PLAIN, share),
            )
    finally:
        engine.dispose()
        pg.stop()
    return rows
