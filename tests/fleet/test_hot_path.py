"""The heartbeat hot path answers from memory; these check that its caches stay right when the
database changes underneath, also through another worker process (a second app on the database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from server.auth import hash_secret
from server.errors import ApiError
from server.fleet import service
from server.fleet.directory import TerminalDirectory
from server.fleet.models import FleetTerminal, Heartbeat
from tests.fleet.conftest import REGION_A, REGION_B, Fleet, build_app
from tests.fleet.test_terminal_api import BEAT, auth


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def second_worker(fleet: Fleet, tmp_path: Path) -> Iterator[FastAPI]:
    """Another gateway app on the same database: shares nothing in memory, like a second process."""
    app = build_app(tmp_path / "worker-2", database_url=fleet.ctx.settings.database_url)
    yield app
    app.state.ctx.engine.dispose()


def test_directory_reloads_on_every_change_that_matters_and_only_then(fleet: Fleet) -> None:
    token = fleet.register("T-A1", REGION_A, "花桥")
    directory = TerminalDirectory(check_every=3600)
    with fleet.ctx.sessions() as db:
        assert directory.refresh(db)
        caller = directory.get(hash_secret(token))
        assert (caller.id, caller.region, caller.site) == ("T-A1", REGION_A, "花桥")
        assert not directory.refresh(db)
    with fleet.client() as client:  # beats (and the fleet rows they write) change nothing here
        assert client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token)).status_code == 200
    with fleet.ctx.sessions() as db:
        assert not directory.refresh(db)
    other = fleet.register("T-A2", REGION_A)  # registered and enrolled
    with fleet.ctx.sessions() as db:
        assert directory.refresh(db)
        assert directory.get(hash_secret(other)).id == "T-A2"
    moved = fleet.register("T-A1", REGION_B)  # re-registered elsewhere: the old token dies
    with fleet.ctx.sessions() as db:
        assert directory.refresh(db)
        assert directory.get(hash_secret(token)) is None
        assert directory.get(hash_secret(moved)).region == REGION_B
    with fleet.ctx.sessions.begin() as db:
        service.revoke_terminal(db, "T-A2", "admin")
    with fleet.ctx.sessions() as db:
        assert directory.refresh(db)
        assert directory.get(hash_secret(other)) is None


def test_unknown_tokens_are_refused_from_memory_until_the_next_reload(fleet: Fleet) -> None:
    directory = TerminalDirectory(check_every=3600)
    forged = hash_secret("forged")
    with fleet.ctx.sessions() as db:
        directory.refresh(db)
        assert directory.get(forged) is None
        with pytest.raises(ApiError):
            directory.lookup(db, forged)
    with pytest.raises(ApiError):
        directory.get(forged)  # no database statement this time


def test_a_terminal_enrolled_through_another_worker_is_found_at_once(fleet: Fleet, second_worker: FastAPI) -> None:
    with fleet.client() as client:  # this worker's directory is loaded before the terminal exists
        assert client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth("nobody")).status_code == 401
    second = Fleet(second_worker, second_worker.state.ctx, fleet.data_dir)
    token = second.register("T-A1", REGION_A)
    fleet.app.state.fleet.directory.check_every = 3600
    with fleet.client() as client:
        assert client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token)).status_code == 200


def test_a_revocation_in_another_worker_is_honoured_at_the_next_check(fleet: Fleet, second_worker: FastAPI) -> None:
    token = fleet.register("T-A1", REGION_A)
    directory = second_worker.state.fleet.directory
    directory.check_every = 3600
    second = Fleet(second_worker, second_worker.state.ctx, fleet.data_dir)
    with second.client() as client:
        assert client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token)).status_code == 200
        with fleet.ctx.sessions.begin() as db:
            service.revoke_terminal(db, "T-A1", "admin")
        # Within the check period the other worker still answers from memory (documented delay) ...
        assert client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token)).status_code == 200
        directory.check_every = 0  # ... and refuses as soon as it checks.
        assert client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token)).status_code == 401
    with fleet.ctx.sessions() as db:
        assert db.get(FleetTerminal, "T-A1").revoked_at is not None


def test_history_sampling_follows_the_database_across_workers(fleet: Fleet, second_worker: FastAPI) -> None:
    """A terminal's beats may reach any worker: each decides on history against the stored state."""
    token = fleet.register("T-A1", REGION_A)
    second = Fleet(second_worker, second_worker.state.ctx, fleet.data_dir)
    out = {**BEAT, "devices": {"printer": {"status": "error", "paper": "out"}}}
    with fleet.client() as first, second.client() as other:
        assert first.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token)).status_code == 200
        assert other.post("/api/v1/terminal/heartbeat", json=out, headers=auth(token)).status_code == 200
        # The first worker last saw "near_end", but the stored state is already "out": no new sample.
        assert first.post("/api/v1/terminal/heartbeat", json=out, headers=auth(token)).status_code == 200
        assert other.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token)).status_code == 200
    with fleet.ctx.sessions() as db:
        history = db.query(Heartbeat).filter_by(terminal_id="T-A1").order_by(Heartbeat.id).all()
        assert [h.payload["devices"]["printer"]["paper"] for h in history] == ["near_end", "out", "near_end"]
        assert sum(h.payload["sessions"] for h in history) + db.get(FleetTerminal, "T-A1").acc_sessions == 4 * 3
