"""The daily face lock under concurrency, on SQLite and PostgreSQL: simultaneous attempts (threads,
two engines standing for two workers, real processes, and whole requests through the endpoint)
never record more than MAX_FAILURES_PER_DAY failures nor get more failed verifications."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import server.face_sessions as face_sessions
from common.ssn import make_ssn
from server.app import create_app
from server.auth import create_terminal, enroll
from server.db import make_engine, make_session_factory
from server.face.attempts import (
    MAX_FAILURES_PER_DAY,
    china_today,
    failures_today,
    release_attempt,
    reserve_attempt,
)
from server.face.router import VerifyResult
from tests.server.conftest import Gateway
from tests.server.test_face_session import _code, _face_person, _post, _render

THREADS = 12
_sequence = iter(range(100, 999))


def _fresh_ssn() -> str:
    """An SSN no other test counts attempts for (the table has no foreign key to persons)."""
    return make_ssn("110101", dt.date(1970, 1, 1), next(_sequence))


def _at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together by a barrier."""
    barrier = threading.Barrier(count)

    def run(i: int) -> Any:
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _failures(gateway: Gateway, ssn: str, day: dt.date | None = None) -> int:
    with gateway.ctx.sessions() as db:
        return failures_today(db, ssn, day)


@pytest.mark.parametrize("already", [0, 3])
def test_simultaneous_reservations_stop_at_the_limit(gateway: Gateway, already: int) -> None:
    """Half the threads use a second engine (another worker's pool); 0 exercises the insert race."""
    ssn = _fresh_ssn()
    for _ in range(already):
        with gateway.ctx.sessions() as db:
            reserve_attempt(db, ssn)  # kept: a counted failure
    other_engine = make_engine(gateway.ctx.settings.database_url)
    factories = [gateway.ctx.sessions, make_session_factory(other_engine)]
    try:

        def reserve(i: int) -> int | None:
            with factories[i % 2]() as db:
                reservation = reserve_attempt(db, ssn)
                return None if reservation is None else reservation.failures

        got = _at_once(THREADS, reserve)
    finally:
        other_engine.dispose()
    taken = sorted(n for n in got if n is not None)
    assert taken == list(range(already + 1, MAX_FAILURES_PER_DAY + 1))
    assert _failures(gateway, ssn) == MAX_FAILURES_PER_DAY


def test_reserve_and_release_churn_keeps_the_count(gateway: Gateway) -> None:
    """Attempts that do not count give their slot back; the counter never passes the limit."""
    ssn = _fresh_ssn()
    seen: list[int] = []
    lock = threading.Lock()

    def churn(_i: int) -> int:
        refused = 0
        with gateway.ctx.sessions() as db:
            for _ in range(10):
                reservation = reserve_attempt(db, ssn)
                if reservation is None:
                    refused += 1
                    continue
                with lock:
                    seen.append(reservation.failures)
                release_attempt(db, reservation)
        return refused

    _at_once(8, churn)
    assert seen and max(seen) <= MAX_FAILURES_PER_DAY
    assert _failures(gateway, ssn) == 0


def test_release_goes_to_the_day_of_the_reservation(gateway: Gateway) -> None:
    """An attempt straddling midnight is given back to the day it was taken from."""
    ssn = _fresh_ssn()
    yesterday = china_today() - dt.timedelta(days=1)
    with gateway.ctx.sessions() as db:
        reservation = reserve_attempt(db, ssn, day=yesterday)
        if reservation is None:
            pytest.fail("a fresh resident has attempts left")
        assert "110101" not in repr(reservation)
        assert failures_today(db, ssn, yesterday) == 1
        release_attempt(db, reservation)
        assert failures_today(db, ssn, yesterday) == 0
        assert reserve_attempt(db, ssn, max_failures=0) is None  # nothing to take


def test_a_failed_release_does_not_raise(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    """It runs while another error may propagate: the attempt stays counted, and it is logged."""
    ssn = _fresh_ssn()
    with gateway.ctx.sessions() as db:
        reservation = reserve_attempt(db, ssn)
        if reservation is None:
            pytest.fail("a fresh resident has attempts left")

        def broken(*_args: Any, **_kwargs: Any) -> Any:
            raise OperationalError("UPDATE face_attempts", {}, Exception("connection lost"))

        monkeypatch.setattr(Session, "execute", broken)
        release_attempt(db, reservation)
        monkeypatch.undo()
    assert _failures(gateway, ssn) == 1


def _reserve_in_process(url: str, ssn: str, tries: int, ready: Any, go: Any, results: Any) -> None:
    """A worker process: its own engine; reserves ``tries`` times once ``go`` is set."""
    engine = make_engine(url)
    taken = 0
    try:
        with make_session_factory(engine)() as db:
            ready.put(True)
            go.wait(60)
            for _ in range(tries):
                taken += reserve_attempt(db, ssn) is not None
    finally:
        engine.dispose()
        results.put(taken)


def test_worker_processes_share_the_limit(gateway: Gateway) -> None:
    ssn = _fresh_ssn()
    ctx = multiprocessing.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    workers = [
        ctx.Process(target=_reserve_in_process, args=(gateway.ctx.settings.database_url, ssn, 4, ready, go, results))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            ready.get(timeout=60)
        go.set()
        taken = [results.get(timeout=60) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
    assert sum(taken) == MAX_FAILURES_PER_DAY
    assert _failures(gateway, ssn) == MAX_FAILURES_PER_DAY


@pytest.fixture(scope="module")
def other_frames() -> list[bytes]:
    from drivers.camera.synth import lfw_face_bgr

    return _render(lfw_face_bgr())


@pytest.fixture
def two_workers(gateway: Gateway) -> Any:
    """A second app on the same database (another worker) and a terminal token of its own."""
    with gateway.ctx.sessions.begin() as db:
        token = enroll(db, "T-FACE-RACE", create_terminal(db, "T-FACE-RACE", "320583"))
    app = create_app(gateway.ctx.settings)
    try:
        with TestClient(app) as client:
            yield [gateway.client, client], token
    finally:
        app.state.ctx.engine.dispose()


@pytest.fixture
def face_token(gateway: Gateway) -> str:
    with gateway.ctx.sessions.begin() as db:
        return enroll(db, "T-FACE-ERR", create_terminal(db, "T-FACE-ERR", "320583"))


def _counting_verifications(monkeypatch: pytest.MonkeyPatch) -> list[VerifyResult]:
    """Record every verification the endpoint runs (the real dlib one)."""
    results: list[VerifyResult] = []
    real = face_sessions.verify_capture
    lock = threading.Lock()

    def counted(*args: Any, **kwargs: Any) -> VerifyResult:
        result = real(*args, **kwargs)
        with lock:
            results.append(result)
        return result

    monkeypatch.setattr(face_sessions, "verify_capture", counted)
    return results


def test_simultaneous_mismatches_never_pass_the_lock(
    gateway: Gateway, two_workers: Any, other_frames: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    clients, token = two_workers
    person = _face_person(gateway)
    verifications = _counting_verifications(monkeypatch)
    responses = _at_once(8, lambda i: _post(clients[i % 2], token, person, other_frames[:1]))
    codes = sorted((r.status_code, _code(r)) for r in responses)
    assert codes == [(403, "face_mismatch")] * MAX_FAILURES_PER_DAY + [(429, "face_locked")] * 3
    assert sum(not v.match for v in verifications) == MAX_FAILURES_PER_DAY
    assert _failures(gateway, person["ssn"]) == MAX_FAILURES_PER_DAY
    assert "明天" in next(r for r in responses if r.status_code == 429).json()["error"]["message_zh"]


def test_unusable_captures_in_the_crowd_give_their_slot_back(
    gateway: Gateway, two_workers: Any, other_frames: list[bytes]
) -> None:
    clients, token = two_workers
    person = _face_person(gateway)
    frames = [[b"garbage"] if i % 2 else other_frames[:1] for i in range(8)]
    responses = _at_once(8, lambda i: _post(clients[i % 2], token, person, frames[i]))
    mismatches = sum(r.status_code == 403 for r in responses)
    assert 1 <= mismatches <= MAX_FAILURES_PER_DAY
    assert {_code(r) for r in responses} <= {"face_mismatch", "no_face_in_capture", "face_locked"}
    assert _failures(gateway, person["ssn"]) == mismatches
    for _ in range(MAX_FAILURES_PER_DAY - mismatches):  # the slots of the unusable ones are free again
        assert _post(gateway.client, token, person, other_frames[:1]).status_code == 403
    assert _code(_post(gateway.client, token, person, other_frames[:1])) == "face_locked"


def test_an_error_during_verification_gives_the_attempt_back(
    gateway: Gateway, face_token: str, other_frames: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = _face_person(gateway)

    def crash(*_args: Any, **_kwargs: Any) -> VerifyResult:
        raise RuntimeError("dlib crashed")

    monkeypatch.setattr(face_sessions, "verify_capture", crash)
    with pytest.raises(RuntimeError, match="dlib crashed"):
        _post(gateway.client, face_token, person, other_frames[:1])
    assert _failures(gateway, person["ssn"]) == 0
