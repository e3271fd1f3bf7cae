"""The kiosk's fleet agent (kiosk/fleet_client.py) against a real uvicorn gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.bundles import public_key_b64
from kiosk.config import load_config
from kiosk.device_report import printer_report
from kiosk.errors import BackendRejected, BackendUnavailable
from kiosk.fleet_client import (
    CommandDispatcher,
    FleetClient,
    load_credential,
    pin_after_enrolment,
    start_fleet_agent,
    sync_config_now,
)
from kiosk.remote_config import RemoteConfig, pin_server_key
from server.fleet import service
from server.fleet.models import FleetCommand, FleetTerminal
from server.fleet.profiles import save_profile
from tests.fleet.conftest import REGION_A, LiveServer, SimTerminal, stop_live, wait_for


def sim(live: LiveServer, tmp_path: Path, terminal_id: str = "T-A1") -> SimTerminal:
    token = live.fleet.register(terminal_id, REGION_A, "花桥")
    return SimTerminal(live.url, terminal_id, token, tmp_path / terminal_id)


def command_state(live: LiveServer, command_id: int) -> tuple[str, str | None]:
    with live.fleet.ctx.sessions() as db:
        row = db.get(FleetCommand, command_id)
        return row.state, row.result


def queue(live: LiveServer, kind: str, terminal_id: str = "T-A1") -> int:
    with live.fleet.ctx.sessions.begin() as db:
        return service.queue_command(db, terminal_id, kind, "admin").id


def test_config_change_reaches_the_terminal_and_is_reported(live: LiveServer, tmp_path: Path) -> None:
    term = sim(live, tmp_path)
    term.agent.beat_once()
    assert term.remote.version == 0
    with live.fleet.ctx.sessions.begin() as db:
        version = save_profile(db, "region", REGION_A, {"terminal": {"language": "en"}}, "admin").id
    term.agent.beat_once()  # the answer names the new version: the agent fetches and applies it
    assert term.remote.version == version
    assert term.live_applied[-1][0].terminal.language == "en"
    term.agent.beat_once()  # ...and reports it applied
    with live.fleet.ctx.sessions() as db:
        assert db.get(FleetTerminal, "T-A1").config_version_applied == version


def test_config_waits_for_the_resident_to_finish(live: LiveServer, tmp_path: Path) -> None:
    term = sim(live, tmp_path)
    term.idle = False
    with live.fleet.ctx.sessions.begin() as db:
        save_profile(db, "terminal", "T-A1", {"ui": {"font_scale": 1.3}}, "admin")
    term.agent.beat_once()
    assert term.restarts == [] and term.applier.pending is not None
    term.idle = True
    term.agent.beat_once()
    assert term.restarts == [{"ui.font_scale"}]


def test_commands_run_and_are_acknowledged(live: LiveServer, tmp_path: Path) -> None:
    term = sim(live, tmp_path)
    on = queue(live, "maintenance_on")
    page = queue(live, "print_test_page")
    clear = queue(live, "clear_print_queue")
    term.agent.beat_once()
    assert term.out_of_service and term.test_pages == 1
    assert command_state(live, on) == ("acknowledged", "maintenance on")
    assert command_state(live, page) == ("acknowledged", "test page printed")
    assert command_state(live, clear) == ("acknowledged", "3 jobs removed")
    term.agent.beat_once()
    with live.fleet.ctx.sessions() as db:
        assert service.list_terminals(db, 30)[0].state == "maintenance"
    off = queue(live, "maintenance_off")
    refresh = queue(live, "refresh_config")
    restart = queue(live, "restart_app")
    term.agent.beat_once()
    assert not term.out_of_service
    assert command_state(live, off)[0] == "acknowledged"
    assert command_state(live, refresh) == ("acknowledged", "version 0")
    assert command_state(live, restart) == ("acknowledged", "restarting")


def test_failing_command_is_reported_as_failed(live: LiveServer, tmp_path: Path) -> None:
    term = sim(live, tmp_path)

    def jammed() -> str:
        raise RuntimeError("paper jam")

    term.dispatcher.handlers["print_test_page"] = jammed
    cid = queue(live, "print_test_page")
    term.agent.beat_once()
    assert command_state(live, cid) == ("failed", "RuntimeError: paper jam")


def test_refused_bundle_is_reported_and_last_good_kept(live: LiveServer, tmp_path: Path) -> None:
    term = sim(live, tmp_path)
    with live.fleet.ctx.sessions.begin() as db:
        save_profile(db, "global", "", {"terminal": {"language": "en"}}, "admin")
    term.agent.beat_once()
    good = term.remote.version
    # The terminal now trusts another key: every bundle from this server fails its signature check.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pin_server_key(term.data_dir, public_key_b64(Ed25519PrivateKey.generate()), replace=True)
    term.remote._key = None
    with live.fleet.ctx.sessions.begin() as db:
        save_profile(db, "global", "", {"terminal": {"language": "zh_TW"}}, "admin")
    term.agent.beat_once()
    assert term.remote.version == good
    term.agent.beat_once()
    with live.fleet.ctx.sessions() as db:
        state = db.get(FleetTerminal, "T-A1").last_state
        assert "config bundle refused: bad_signature" in state["last_error"]


def test_agent_thread_and_server_outage(live: LiveServer, tmp_path: Path) -> None:
    live.fleet.app.state.fleet.heartbeat_interval = 1
    term = sim(live, tmp_path)
    term.agent.start()
    try:
        wait_for(lambda: term.agent.beats >= 2)
        cid = queue(live, "maintenance_on")
        wait_for(lambda: command_state(live, cid)[0] == "acknowledged")
        live.fleet.ctx.faults.set("down")
        with pytest.raises(BackendUnavailable):
            term.client.heartbeat(term.builder.build(None))
        wait_for(lambda: (term.builder.last_error or "").startswith("fleet:"))
        live.fleet.ctx.faults.set(None)
        beats = term.agent.beats
        term.agent.wake()
        wait_for(lambda: term.agent.beats > beats, timeout=15)
    finally:
        term.agent.stop()


def test_revoked_terminal_client_gets_a_typed_refusal(live: LiveServer, tmp_path: Path) -> None:
    term = sim(live, tmp_path)
    with live.fleet.ctx.sessions.begin() as db:
        service.revoke_terminal(db, "T-A1", "admin")
    with pytest.raises(BackendRejected) as info:
        term.agent.beat_once()
    assert info.value.status_code == 401


def test_client_maps_connection_errors(tmp_path: Path) -> None:
    client = FleetClient("http://127.0.0.1:9", "token", timeout=0.5)
    with pytest.raises(BackendUnavailable):
        client.commands()


def _enrolled_dir(live: LiveServer, tmp_path: Path) -> tuple[Path, Path]:
    """A data directory as `main.py enroll` leaves it: credential file + pinned key."""
    import json

    token = live.fleet.register("T-A9", REGION_A)
    data = tmp_path / "kiosk"
    data.mkdir()
    (data / "terminal.json").write_text(json.dumps({"terminal_id": "T-A9", "server": live.url, "token": token}))
    assert pin_after_enrolment(live.url, token, data)
    local = tmp_path / "local.toml"
    local.write_text(f'[terminal]\nid = "T-A9"\nregion = "{REGION_A}"\ndata_dir = "{data}"\n', encoding="utf-8")
    return data, local


def test_config_sync_now_and_offline_boot(live: LiveServer, tmp_path: Path) -> None:
    data, local = _enrolled_dir(live, tmp_path)
    build = lambda overlay: load_config(local, remote_bundle=overlay)  # noqa: E731
    with live.fleet.ctx.sessions.begin() as db:
        version = save_profile(db, "terminal", "T-A9", {"session": {"countdown": 20}}, "admin").id
    assert sync_config_now(data, build) == {"applied": True, "version": version, "reason": None}
    assert sync_config_now(data, build) == {"applied": True, "version": version, "reason": "up to date"}
    stop_live(live)  # the server is gone: the terminal still boots with the cached bundle
    offline = RemoteConfig(data, "T-A9", build)
    assert load_config(local, remote_bundle=offline.load_cached()).session.countdown == 20
    answer = sync_config_now(data, build, timeout=0.5)
    assert answer["applied"] is False and answer["version"] == version
    assert answer["reason"].startswith("backend.unavailable")


def test_not_enrolled(tmp_path: Path) -> None:
    assert load_credential(tmp_path) is None
    assert sync_config_now(tmp_path, lambda overlay: load_config(remote_bundle=overlay))["applied"] is False


def test_start_fleet_agent_wiring(live: LiveServer, tmp_path: Path) -> None:
    live.fleet.app.state.fleet.heartbeat_interval = 1
    data, local = _enrolled_dir(live, tmp_path)
    out_of_service: list[bool] = []
    dispatcher = CommandDispatcher.for_kiosk(out_of_service.append, lambda: None, lambda: "ok", lambda: 0)
    agent = start_fleet_agent(
        data,
        lambda overlay: load_config(local, remote_bundle=overlay),
        app_version="1.0",
        is_idle=lambda: True,
        apply_live=lambda cfg, keys: None,
        request_restart=lambda cfg, keys: None,
        dispatcher=dispatcher,
        devices={"printer": lambda: printer_report("no_paper")},
        totals=lambda: (0, 0),
        maintenance=lambda: bool(out_of_service and out_of_service[-1]),
    )
    assert agent is not None
    try:
        cid = queue(live, "maintenance_on", "T-A9")
        wait_for(lambda: command_state(live, cid)[0] == "acknowledged")
        assert out_of_service == [True]

        def reported_maintenance() -> bool:
            with live.fleet.ctx.sessions() as db:
                state = db.get(FleetTerminal, "T-A9").last_state or {}
                return bool(state.get("maintenance")) and state["devices"]["printer"]["paper"] == "out"

        wait_for(reported_maintenance)
    finally:
        agent.stop()
