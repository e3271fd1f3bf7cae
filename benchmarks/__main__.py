"""`python -m benchmarks [--quick]`: run every benchmark and print one table.

Each benchmark module exposes ``run(quick: bool) -> list[dict]``; a row holds ``name``, ``value``,
``unit``, ``baseline_name`` and ``baseline`` — the baseline measured in the same run — and the
table shows their ratio. A module that fails prints its error in the table and the exit code is 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

MODULES = (
    "benchmarks.bench_card",
    "benchmarks.bench_printer",
    "benchmarks.bench_server",
    "benchmarks.bench_replica",
    "benchmarks.bench_partitioning",
    "benchmarks.bench_face",
    "benchmarks.bench_fleet",
    "benchmarks.bench_kiosk",
)


def _format(value: float) -> str:
    return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    parser.add_argument("--only", action="append", help="run only modules whose name contains this")
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, str, str, str, str]] = []
    failed = False
    for name in MODULES:
        if args.only and not any(part in name for part in args.only):
            continue
        started = time.perf_counter()
        try:
            module = importlib.import_module(name)
            results = module.run(args.quick)
        except Exception as exc:
            failed = True
            traceback.print_exc(file=sys.stderr)
            rows.append((name.split(".")[-1], "FAILED", "", str(exc)[:60], "", ""))
            continue
        for row in results:
            baseline = float(row["baseline"])
            value = float(row["value"])
            ratio = f"{value / baseline:.2f}x" if baseline else "-"
            rows.append((row["name"], _format(value), row["unit"], row["baseline_name"], _format(baseline), ratio))
        print(f"# {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    header = ("benchmark", "value", "unit", "baseline", "baseline value", "ratio")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for line in [header, tuple("-" * w for w in widths)] + rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
