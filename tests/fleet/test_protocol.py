"""The terminal and the fleet manager speak one protocol (common.fleet_protocol)."""

from __future__ import annotations

from common.fleet_protocol import COMMAND_KINDS, MAX_DEVICES, HeartbeatPayload
from kiosk.device_report import DeviceReport
from kiosk.fleet_client import CommandDispatcher
from kiosk.heartbeat import HeartbeatBuilder


def test_the_builders_beat_passes_the_servers_schema_even_at_its_limits() -> None:
    devices = {f"dev{n}": (lambda: DeviceReport("x" * 100, "y" * 900, "near_end")) for n in range(MAX_DEVICES + 3)}
    builder = HeartbeatBuilder("v" * 80, devices, totals=lambda: (2, 1), print_queue=lambda: 3)
    builder.note_error("e" * 900)
    beat = builder.build(4)
    parsed = HeartbeatPayload.model_validate(beat)
    assert len(parsed.devices) == MAX_DEVICES and parsed.config_version == 4
    assert parsed.model_dump(exclude_none=True).keys() <= beat.keys()


def test_the_terminal_runs_every_command_kind_staff_can_queue() -> None:
    dispatcher = CommandDispatcher.for_kiosk(lambda on: None, lambda: None, lambda: "ok", lambda: 0, lambda: 0)
    # refresh_config is run by the agent itself (it fetches the bundle), not by the dispatcher.
    assert set(dispatcher.handlers) | {"refresh_config"} == set(COMMAND_KINDS)
