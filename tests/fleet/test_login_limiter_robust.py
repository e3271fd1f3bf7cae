"""The console's login limit holds under concurrency: attempts running at the same time, in threads
of one worker or in several workers on one database, get no more tries than the limit allows."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.fleet import console
from server.fleet.models import AuditEntry, LoginFailure
from server.fleet.staff import LoginLimiter
from tests.fleet.conftest import PASSWORD, Fleet, build_app, login, start_live, stop_live

ATTEMPTS = 12
LIMIT = 5  # LoginLimiter's default, which the gateway uses


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


def _failures(fleet: Fleet, key: str) -> int:
    with fleet.ctx.sessions() as db:
        return db.execute(select(func.count()).select_from(LoginFailure).where(LoginFailure.key == key)).scalar_one()


def _at_once(n: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` for i in range(n) in n threads released together by a barrier."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait(10)
        return work(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_concurrent_attempts_through_the_limiter_never_exceed_the_limit(fleet: Fleet) -> None:
    limiter = LoginLimiter(max_failures=LIMIT)
    keys = ("user:admin", "ip:10.0.0.9")

    def attempt(_i: int) -> bool:
        with fleet.ctx.sessions() as db:
            reserved = limiter.attempt(db, *keys)
            time.sleep(0.05)  # the password check (argon2 takes about this long in production)
            db.commit()  # a wrong password: the reservation stands as the failure
            return not reserved.blocked

    assert sum(_at_once(ATTEMPTS, attempt)) == LIMIT
    assert _failures(fleet, "user:admin") == LIMIT  # refused attempts are no failures of their own
    with fleet.ctx.sessions() as db:
        assert limiter.attempt(db, *keys).blocked


def test_a_right_password_withdraws_its_reservation(fleet: Fleet) -> None:
    limiter = LoginLimiter(max_failures=2)
    with fleet.ctx.sessions() as db:
        limiter.attempt(db, "user:admin", "ip:1")  # an earlier wrong password
        reserved = limiter.attempt(db, "user:admin", "ip:1")
        assert not reserved.blocked
        limiter.succeeded(db, "user:admin", reserved)
        db.commit()
        keys = sorted(row.key for row in db.scalars(select(LoginFailure)))
    # The username's failures are cleared; the address keeps its earlier failure, not this attempt.
    assert keys == ["ip:1"]


@pytest.fixture
def slow_password_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console's password check takes as long as production's argon2id (tests hash cheaply),
    which is the window concurrent attempts race through."""
    real = console.check_password

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.1)
        return real(*args, **kwargs)

    monkeypatch.setattr(console, "check_password", slow)


def _post_login(url: str, password: str) -> Callable[[int], int]:
    """A login form per thread (its own login-CSRF cookie), posted when called."""

    def prepare() -> tuple[httpx.Client, str]:
        client = httpx.Client(base_url=url, timeout=30)
        page = client.get("/console/login")
        match = re.search(r'name="csrf" value="([^"]+)"', page.text)
        if match is None:
            raise AssertionError("no login CSRF field")
        return client, match.group(1)

    forms = [prepare() for _ in range(ATTEMPTS)]

    def post(i: int) -> int:
        client, csrf = forms[i]
        try:
            data = {"username": "admin", "password": password, "csrf": csrf, "next": "/console/"}
            return client.post("/console/login", data=data).status_code
        finally:
            client.close()

    return post


def test_concurrent_logins_across_two_workers_get_no_extra_tries(
    fleet: Fleet, tmp_path: Path, slow_password_check: None
) -> None:
    other_app = build_app(tmp_path / "worker-2", database_url=fleet.ctx.settings.database_url)
    first, second = start_live(fleet), start_live(Fleet(other_app, other_app.state.ctx, tmp_path))
    try:
        posts = [_post_login(live.url, "guess") for live in (first, second)]
        codes = _at_once(ATTEMPTS, lambda i: posts[i % 2](i // 2))
    finally:
        stop_live(first)
        stop_live(second)
        other_app.state.ctx.engine.dispose()
    assert sorted(codes) == [401] * LIMIT + [429] * (ATTEMPTS - LIMIT)
    assert _failures(fleet, "user:admin") == LIMIT
    with fleet.ctx.sessions() as db:
        audited = db.execute(select(AuditEntry.action, func.count()).group_by(AuditEntry.action)).all()
    assert dict(audited) == {"login_failed": LIMIT, "login_limited": ATTEMPTS - LIMIT}


def test_staff_facing_behaviour_is_unchanged(fleet: Fleet) -> None:
    """Five wrong passwords, then 429 even with the right one; another user from elsewhere is unaffected."""
    with fleet.client() as client:
        for _ in range(LIMIT):
            answer = login(client, "admin", "guess")
            assert answer.status_code == 401
            assert "用户名或密码错误" in answer.text
        answer = login(client, "admin", PASSWORD)
        assert answer.status_code == 429
        assert "登录失败次数过多" in answer.text
    assert _failures(fleet, "user:admin") == LIMIT  # the refused attempt is not a failure of its own
