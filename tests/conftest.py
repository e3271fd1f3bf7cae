"""Fixtures shared across test packages: one throw-away PostgreSQL 15 server per test session
(``server.devdb``), used by the gateway tests (tests/server) and the fleet tests (tests/fleet)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.devdb import PostgresUnavailable, ThrowawayPostgres


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
