"""The new release's probation: the healthy mark, its deadline, and the report of last.json."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.update.health import HealthWatch
from kiosk.update.layout import Layout, refused_versions, write_json, write_state
from kiosk.update.updater import Updater
from tests.kiosk.update_fixtures import FakeClient, archive, envelope, fake_venv, install_root, pin


def watch(layout: Layout, version: str, now: float) -> tuple[HealthWatch, list[tuple[str, str, str]], list[int]]:
    reports: list[tuple[str, str, str]] = []
    exits: list[int] = []
    clock = [now]
    health = HealthWatch(
        layout, version, lambda v, s, r: reports.append((v, s, r)), lambda: exits.append(75), lambda: clock[0]
    )
    return health, reports, exits


def test_the_first_accepted_beat_marks_the_release_healthy_and_reports_once(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "data")
    state = write_state(layout, "1.1.0", "1.0.0", 600)
    health, reports, exits = watch(layout, "1.1.0", state["switched_at"] + 5)
    assert health.probation() is not None
    health.after_beat()
    assert not layout.state_path.exists()
    last = json.loads(layout.last_path.read_text())
    assert (last["version"], last["outcome"]) == ("1.1.0", "healthy")
    assert reports == [("1.1.0", "healthy", "")]
    health.after_beat()
    # A restart does not send it again either.
    again, again_reports, _ = watch(layout, "1.1.0", state["switched_at"] + 50)
    again.after_beat()
    assert reports == [("1.1.0", "healthy", "")] and again_reports == [] and exits == []
    assert not health.check_deadline()


def test_not_healthy_by_the_deadline_exits_for_the_launcher(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "data")
    state = write_state(layout, "1.1.0", "1.0.0", 600)
    health, _reports, exits = watch(layout, "1.1.0", state["switched_at"] + 599)
    assert not health.check_deadline() and exits == []
    late, _reports, late_exits = watch(layout, "1.1.0", state["switched_at"] + 601)
    assert late.check_deadline() and late_exits == [75]
    assert layout.state_path.exists()  # the launcher decides the rollback from it


def test_the_deadline_timer_fires(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "data")
    state = write_state(layout, "1.1.0", "1.0.0", 0)
    health, _reports, exits = watch(layout, "1.1.0", state["switched_at"] + 1)
    health.start()
    assert health._timer is not None
    health._timer.join(5)
    assert exits == [75]


def test_another_release_on_probation_is_not_ours(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "data")
    write_state(layout, "1.1.0", "1.0.0", 600)
    health, reports, _ = watch(layout, "1.0.0", 0)
    health.after_beat()
    assert layout.state_path.exists() and reports == []


def test_a_rollback_is_reported_and_the_version_never_installed_again(tmp_path: Path) -> None:
    layout = install_root(tmp_path)
    key = Ed25519PrivateKey.generate()
    pin(layout.data, key)
    reason = "did not come up healthy within 600 s"
    write_json(layout.last_path, {"version": "1.1.0", "outcome": "rolled_back", "reason": reason, "at": 1})
    health, reports, _ = watch(layout, "1.0.0", 10)
    data = archive("1.1.0")
    client = FakeClient(envelope(key, "1.1.0", data), data)
    updater = Updater(client, layout, layout.data, lambda: True, lambda: None, health, builder=fake_venv)  # type: ignore[arg-type]
    updater.after_beat()
    updater.join()
    assert reports == [("1.1.0", "rolled_back", reason)]
    assert refused_versions(layout) == {"1.1.0"}
    assert updater.last_outcome == "refused before" and client.downloads == 0
