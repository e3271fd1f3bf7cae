"""The console's login rate limit lives in the database, so it holds across worker processes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from server.fleet.models import LoginFailure
from server.fleet.staff import LoginLimiter
from tests.fleet.conftest import Fleet, build_app, login


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


def test_failures_in_one_worker_count_in_another(fleet: Fleet, tmp_path: Path) -> None:
    """Two gateway apps on one database share nothing in memory, like two worker processes."""
    other = build_app(tmp_path / "worker-2", database_url=fleet.ctx.settings.database_url)
    try:
        with fleet.client() as first, Fleet(other, other.state.ctx, tmp_path).client() as second:
            for _ in range(3):
                assert login(first, "admin", "guess").status_code == 401
            for _ in range(2):
                assert login(second, "admin", "guess").status_code == 401
            assert login(second, "admin").status_code == 429
            assert login(first, "admin").status_code == 429
    finally:
        other.state.ctx.engine.dispose()


def test_a_correct_password_clears_the_username_but_not_the_address(fleet: Fleet) -> None:
    with fleet.client() as client:
        for _ in range(4):
            assert login(client, "admin", "guess").status_code == 401
        assert login(client, "admin").status_code == 303
        with fleet.ctx.sessions() as db:
            keys = sorted({row.key for row in db.query(LoginFailure)})
        assert keys == ["ip:testclient"]
        # The address keeps its four failures: one more under any username blocks it.
        assert login(client, "viewer", "guess").status_code == 401
        assert login(client, "viewer").status_code == 429


def test_the_window_slides_and_old_failures_are_swept(fleet: Fleet) -> None:
    now = [dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)]
    limiter = LoginLimiter(max_failures=2, window_seconds=60, clock=lambda: now[0], user_window_seconds=60)
    with fleet.ctx.sessions() as db:
        # Each attempt that goes ahead stands as a failure under its keys (a wrong password).
        assert not limiter.attempt(db, "user:a", "ip:1").blocked
        now[0] += dt.timedelta(seconds=30)
        assert not limiter.attempt(db, "user:a", "ip:2").blocked
        assert limiter.attempt(db, "user:a").blocked  # two failures in the window
        assert not limiter.attempt(db, "ip:1").blocked  # one so far: this is its second
        now[0] += dt.timedelta(seconds=31)  # the first attempt's failures left the window
        assert not limiter.attempt(db, "user:a").blocked
        # Swept: the two failures of the first attempt. Kept: three at 30 s, one at 61 s.
        keys = sorted(row.key for row in db.query(LoginFailure))
        assert keys == ["ip:1", "ip:2", "user:a", "user:a"]


def test_long_keys_are_cut_to_the_column(fleet: Fleet) -> None:
    limiter = LoginLimiter(max_failures=1)
    key = "user:" + "x" * 200
    with fleet.ctx.sessions() as db:
        assert not limiter.attempt(db, key).blocked
        assert limiter.attempt(db, key).blocked
