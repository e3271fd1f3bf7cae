"""Staff accounts and sessions: a session ends when its password or role changes, accounts can be
disabled, sessions expire when idle as well as after 8 h, and the per-username limit is a
progressive back-off that guessing from elsewhere cannot turn into a lock-out. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from server.fleet import staff as staff_module
from server.fleet.cli import disable_staff_main, enable_staff_main
from server.fleet.models import StaffSession
from server.fleet.staff import SESSION_IDLE, SESSION_LIFETIME, LoginLimiter, create_staff, set_disabled
from tests.fleet.conftest import PASSWORD, Fleet, login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


def _logged_in(client: TestClient) -> bool:
    return client.get("/console/", follow_redirects=False).status_code == 200


# ----------------------------------------------------------------------------- sessions end
def test_a_password_change_ends_the_accounts_sessions(fleet: Fleet, staff_client: Any) -> None:
    client, _csrf = staff_client("admin")
    other, _ = staff_client("op_a")
    with fleet.ctx.sessions.begin() as db:
        create_staff(db, "admin", "admin", "a new long password")
    assert not _logged_in(client)
    assert _logged_in(other)  # other accounts keep theirs
    with fleet.client() as fresh:
        assert login(fresh, "admin", PASSWORD).status_code == 401
        assert login(fresh, "admin", "a new long password").status_code == 303


def test_a_role_change_ends_the_accounts_sessions(fleet: Fleet, staff_client: Any) -> None:
    client, _csrf = staff_client("op_a")
    with fleet.ctx.sessions.begin() as db:
        create_staff(db, "op_a", "viewer", PASSWORD)
    assert not _logged_in(client)
    with fleet.ctx.sessions() as db:
        assert db.query(StaffSession).filter_by(username="op_a").count() == 0


def test_a_disabled_account_is_logged_out_and_cannot_log_in(fleet: Fleet, staff_client: Any) -> None:
    client, _csrf = staff_client("viewer")
    url = fleet.ctx.settings.database_url
    assert disable_staff_main(["viewer", "--database-url", url]) == 0
    assert not _logged_in(client)
    with fleet.client() as again:
        assert login(again, "viewer").status_code == 401
    assert enable_staff_main(["viewer", "--database-url", url]) == 0
    with fleet.client() as again:
        assert login(again, "viewer").status_code == 303
    assert disable_staff_main(["nobody", "--database-url", url]) == 2
    with fleet.ctx.sessions.begin() as db, pytest.raises(LookupError):
        set_disabled(db, "nobody", True)


# ----------------------------------------------------------------------------- idle expiry
@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dt.datetime]]:
    now = [dt.datetime.now(dt.UTC)]
    monkeypatch.setattr(staff_module, "utcnow", lambda: now[0])
    yield now


def test_an_idle_session_expires_before_its_8_hours(fleet: Fleet, staff_client: Any, clock: list) -> None:
    client, _csrf = staff_client("admin")
    clock[0] += SESSION_IDLE - dt.timedelta(minutes=5)
    assert _logged_in(client)  # in use: the idle expiry moves on
    clock[0] += SESSION_IDLE - dt.timedelta(minutes=5)
    assert _logged_in(client)
    clock[0] += SESSION_IDLE + dt.timedelta(seconds=1)  # then left alone
    assert not _logged_in(client)


def test_a_session_in_constant_use_still_ends_after_8_hours(fleet: Fleet, staff_client: Any, clock: list) -> None:
    client, _csrf = staff_client("admin")
    start = clock[0]
    while clock[0] - start < SESSION_LIFETIME - dt.timedelta(minutes=20):
        clock[0] += dt.timedelta(minutes=20)
        assert _logged_in(client)
    clock[0] = start + SESSION_LIFETIME + dt.timedelta(seconds=1)
    assert not _logged_in(client)


# ----------------------------------------------------------------------------- back-off, no lock-out
def test_the_username_back_off_grows_and_is_bounded(fleet: Fleet) -> None:
    now = [dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)]
    limiter = LoginLimiter(max_failures=3, clock=lambda: now[0], base_delay=2, max_delay=60)
    with fleet.ctx.sessions() as db:

        def guess(address: str) -> bool:
            return not limiter.attempt(db, "user:admin", f"ip:{address}").blocked

        assert all(guess(f"10.0.0.{i}") for i in range(3))  # free
        waits = []
        for i in range(8):
            assert not guess(f"10.0.1.{i}"), "must wait after the last failure"
            wait = 0
            while not guess(f"10.0.1.{i}"):
                now[0] += dt.timedelta(seconds=1)
                wait += 1
            waits.append(wait)
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]  # doubling, never beyond max_delay


def test_guessing_from_elsewhere_cannot_lock_out_an_administrator(fleet: Fleet) -> None:
    # The administrator's usual address: a successful login is on record in the audit log.
    with fleet.client() as office:
        assert login(office, "admin").status_code == 303
    limiter = fleet.app.state.fleet.limiter
    with fleet.ctx.sessions() as db:  # a spread of addresses guessing the administrator's password
        for i in range(40):
            limiter.attempt(db, "user:admin", f"ip:203.0.113.{i}")
    with TestClient(fleet.app, base_url="http://127.0.0.1", client=("198.51.100.77", 40000)) as stranger:
        assert login(stranger, "admin").status_code == 429  # an unknown address waits its turn
    with fleet.client() as office:  # the usual address is not held up by others' guesses
        assert login(office, "admin").status_code == 303
