"""Fixtures shared across test packages: one throw-away PostgreSQL 15 server per test session
(``server.devdb``), used by the gateway tests (tests/server) and the fleet tests (tests/fleet); and
the scan of every log line of the run for personal data (``tests/log_scan.py``), which fails the
run when any record held an unmasked SSN, or a generated person's name or card number."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.devdb import PostgresUnavailable, ThrowawayPostgres
from tests.log_scan import LogScan

# Installed when this file is imported, before any test module generates its people.
LOG_SCAN = LogScan()
LOG_SCAN.watch_generator()
LOG_SCAN.install()


@pytest.fixture(scope="session", autouse=True)
def no_personal_data_in_logs() -> Iterator[LogScan]:
    """Fails the session (an error at its last test's teardown) when a log line held personal data."""
    yield LOG_SCAN
    if LOG_SCAN.findings:
        report = LOG_SCAN.report()
        print("\n" + "!" * 30 + " PERSONAL DATA IN LOGS " + "!" * 30 + "\n" + report, flush=True)
        pytest.fail(report, pytrace=False)


@pytest.fixture(autouse=True)
def _log_levels_for_the_scan() -> None:
    """Code under test may configure logging and raise the root level; the scan needs INFO."""
    LOG_SCAN.ensure_levels()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    """A throw-away PostgreSQL 15 server. Fails (never skips) when the binaries are missing."""
    server = ThrowawayPostgres()
    try:
        server.start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()
