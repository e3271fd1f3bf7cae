"""Software update end to end: a release built by scripts/build-release.sh, published with the CLI
and rolled out in the console reaches its canary through the real agent and updater over HTTP;
a release that never comes up is rolled back by the launcher (deploy/terminal) and its report
halts the rollout; a tampered artefact or a manifest signed by another key is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from kiosk.update.client import UpdateClient
from kiosk.update.health import HealthWatch
from kiosk.update.layout import Layout
from kiosk.update.updater import Updater
from server.fleet.release_cli import main as publish_main
from server.fleet.release_models import ReleaseArtefact, Rollout, TerminalUpdate
from tests.fleet.conftest import REGION_A, Fleet, LiveServer, SimTerminal
from tests.kiosk.update_fixtures import archive, fake_venv, install_root

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "deploy" / "terminal" / "renshe-kiosk-launch"


class Idle:
    """``is_idle`` that turns False at its ``busy_at``-th call (a resident arrives mid-download)."""

    def __init__(self, busy_at: int | None = None) -> None:
        self.calls = 0
        self.busy_at = busy_at

    def __call__(self) -> bool:
        self.calls += 1
        return self.busy_at is None or self.calls < self.busy_at


def publish(fleet: Fleet, path: Path, version: str) -> None:
    url = fleet.ctx.engine.url.render_as_string(hide_password=False)
    assert publish_main([str(path), "--version", version, "--database-url", url]) == 0


def roll_out(staff_client: Any, version: str, terminals: str) -> None:
    admin, csrf = staff_client("admin")
    data = {"version": version, "terminals": terminals, "regions": "", "csrf": csrf}
    assert admin.post("/console/releases/rollouts", data=data, follow_redirects=False).status_code == 303


def terminal(live: LiveServer, layout: Layout, token: str, idle: Idle) -> tuple[SimTerminal, Updater, list[int]]:
    """The simulated kiosk's agent with an updater for the release ``current`` points at."""
    sim = SimTerminal(live.url, "T-A1", token, layout.data, REGION_A)
    client = UpdateClient(live.url, token, timeout=10)
    restarts: list[int] = []
    health = HealthWatch(layout, layout.current_version() or "", client.report, lambda: restarts.append(75))
    updater = Updater(client, layout, layout.data, idle, lambda: restarts.append(1), health, 0.0, builder=fake_venv)
    sim.agent.updater = updater
    return sim, updater, restarts


def beat(sim: SimTerminal, updater: Updater) -> str:
    sim.agent.beat_once()
    updater.join(60)
    return updater.last_outcome


def server_state(fleet: Fleet) -> tuple[str, str, str, str]:
    with fleet.ctx.sessions() as db:
        update = db.get(TerminalUpdate, "T-A1")
        rollout = db.scalars(select(Rollout).order_by(Rollout.id.desc())).first()
        assert update is not None and rollout is not None
        return update.step, update.reason, rollout.state, rollout.halt_reason


def launch(layout: Layout) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RENSHE_KIOSK_ROOT": str(layout.root), "KIOSK_DATA_DIR": str(layout.data)}
    return subprocess.run(
        [sys.executable, str(LAUNCHER)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_canary_update_then_the_launcher_rolls_back_a_release_that_never_comes_up(
    live: LiveServer, tmp_path: Path, staff_client: Any
) -> None:
    fleet = live.fleet
    token = fleet.register("T-A1", REGION_A, "花桥")
    other = fleet.register("T-A2", REGION_A, "花桥")
    artefact = tmp_path / "release-1.1.0.tar.gz"
    built = subprocess.run(
        [str(REPO / "scripts" / "build-release.sh"), "1.1.0", str(artefact)], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    publish(fleet, artefact, "1.1.0")
    roll_out(staff_client, "1.1.0", "T-A1")
    layout = install_root(tmp_path / "terminal")
    assert token is not None and other is not None
    idle = Idle(busy_at=4)  # idle check before the download, 2 chunks, then a resident arrives
    sim, updater, restarts = terminal(live, layout, token, idle)

    assert beat(sim, updater) == "download paused"
    part = layout.update_dir / "1.1.0.tar.gz.part"
    paused_at = part.stat().st_size
    assert 0 < paused_at < artefact.stat().st_size
    assert os.readlink(layout.current) == "releases/1.0.0" and server_state(fleet)[0] == "downloading"

    idle.busy_at = None  # the resident left: the download resumes where it stopped
    assert beat(sim, updater) == "switched, restarting"
    assert restarts == [1]
    assert os.readlink(layout.current) == "releases/1.1.0" and os.readlink(layout.previous) == "releases/1.0.0"
    assert (layout.current / "VERSION").read_text() == "1.1.0\n"
    assert (layout.current / "kiosk" / "update" / "updater.py").is_file()
    assert (layout.current / ".venv" / "bin" / "python").exists()
    assert server_state(fleet)[:1] == ("switched",)
    state = json.loads(layout.state_path.read_text())
    assert (state["version"], state["previous"], state["starts"]) == ("1.1.0", "1.0.0", 0)

    # The new release crashes at every start: the launcher gives it 3 starts, then rolls back.
    (layout.current / "main.py").write_text("raise SystemExit(3)\n", encoding="utf-8")
    for _start in range(3):
        assert launch(layout).returncode == 3
    back = launch(layout)
    assert back.returncode == 0 and back.stdout == "old\n", back.stderr
    assert os.readlink(layout.current) == "releases/1.0.0" and not layout.state_path.exists()
    last = json.loads(layout.last_path.read_text())
    assert (last["version"], last["outcome"], last["reason"]) == ("1.1.0", "rolled_back", "failed to start 3 times")

    # The old release starts again: its first accepted beat reports the rollback, which halts the rollout.
    sim2, updater2, restarts2 = terminal(live, layout, token, Idle())
    assert beat(sim2, updater2) == "none offered"
    step, reason, rollout_state, halt_reason = server_state(fleet)
    assert (step, reason, rollout_state) == ("rolled_back", "failed to start 3 times", "halted")
    assert "T-A1 rolled_back: failed to start 3 times" in halt_reason
    assert restarts2 == []
    with fleet.client() as client:
        answer = client.get("/api/v1/terminal/release", headers={"Authorization": f"Bearer {other}"})
        assert answer.status_code == 204


def test_a_tampered_artefact_and_a_foreign_signature_are_refused(
    live: LiveServer, tmp_path: Path, staff_client: Any
) -> None:
    fleet = live.fleet
    token = fleet.register("T-A1", REGION_A, "花桥")
    assert token is not None
    path = tmp_path / "r.tar.gz"
    path.write_bytes(archive("1.1.0"))
    publish(fleet, path, "1.1.0")
    roll_out(staff_client, "1.1.0", "T-A1")
    with fleet.ctx.sessions.begin() as db:  # the stored bytes change under the signed manifest
        row = db.get(ReleaseArtefact, "1.1.0")
        assert row is not None
        row.data = bytes(row.data[:-1]) + bytes([row.data[-1] ^ 0xFF])
    layout = install_root(tmp_path / "terminal")
    sim, updater, restarts = terminal(live, layout, token, Idle())
    assert beat(sim, updater).startswith("refused: bad_sha256")
    assert server_state(fleet)[0] == "refused" and server_state(fleet)[2] == "halted"
    assert os.readlink(layout.current) == "releases/1.0.0" and not layout.state_path.exists() and restarts == []

    path.write_bytes(archive("1.2.0"))
    publish(fleet, path, "1.2.0")
    roll_out(staff_client, "1.2.0", "T-A1")
    genuine = live.fleet.app.state.fleet.key
    live.fleet.app.state.fleet.key = Ed25519PrivateKey.generate()  # not the key the terminal pinned
    try:
        assert beat(sim, updater).startswith("refused: bad_signature")
    finally:
        live.fleet.app.state.fleet.key = genuine
    step, reason, rollout_state, _halt = server_state(fleet)
    assert (step, rollout_state) == ("refused", "halted") and reason.startswith("bad_signature")
    assert os.readlink(layout.current) == "releases/1.0.0" and sorted(os.listdir(layout.releases)) == ["1.0.0"]
