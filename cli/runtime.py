"""Everything a command needs, built from the command line: config, devices, backend, journal.

``open_runtime(args)`` is the composition used by the UI and every sub-command; ``--demo`` adds
the demo world (embedded server, simulated devices) before the devices are built.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import REPO_ROOT, KioskConfig, load_config, parse_override

logger = logging.getLogger(__name__)

DEMO_DATA_DIR = REPO_ROOT / "data" / "demo"


def add_common_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """Options every command takes; ``suppress`` keeps a sub-parser from resetting the main parser's value."""
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="embedded server on SQLite with demo data, simulated card, camera and printer",
    )
    parser.add_argument("--config", type=Path, default=default, help="local config file (TOML)")
    parser.add_argument("--data-dir", type=Path, default=default, help="data directory (overrides terminal.data_dir)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=argparse.SUPPRESS if suppress else [],
        metavar="SECTION.KEY=VALUE",
        help="override one config value (repeatable)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS if suppress else False)


@dataclass
class Runtime:
    config: KioskConfig
    devices: Any = None
    backend: Any = None
    journal: Any = None
    world: Any = None
    token: str | None = None
    build: Callable[[dict[str, Any]], KioskConfig] | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self._closers):
            try:
                close()
            except Exception as exc:  # keep closing the rest
                logger.warning("closing: %s", exc)
        self._closers.clear()


def _local_overrides(args: argparse.Namespace) -> list[dict[str, Any]]:
    overrides = [parse_override(text) for text in getattr(args, "overrides", []) or []]
    if getattr(args, "data_dir", None) and not getattr(args, "demo", False):
        overrides.append({"terminal": {"data_dir": str(args.data_dir)}})
    return overrides


def config_builder(
    args: argparse.Namespace, overrides: list[dict[str, Any]] | None = None
) -> tuple[Callable[[dict[str, Any]], KioskConfig], KioskConfig]:
    """(build, config): ``build(remote_overlay)`` layers a remote bundle between the local file and
    the command-line flags (kiosk/config.py); ``config`` is the effective config with the cached bundle.

    An enrolled terminal takes its id and its server from its credential: every backend call goes
    to the server it enrolled with, unless the local file or ``--set`` names ``server.url``. A
    cached bundle that no longer validates is ignored here (RemoteConfig refuses it too), so a
    terminal always boots."""
    from kiosk.fleet_client import load_credential
    from kiosk.remote_config import RemoteConfig

    local = getattr(args, "config", None)
    overrides = _local_overrides(args) if overrides is None else overrides
    base = load_config(local, overrides=overrides)
    credential = load_credential(base.data_path())
    enrolled_server = None
    if credential is not None:
        overrides = [{"terminal": {"id": credential["terminal_id"]}}, *overrides]
        enrolled_server = credential["server"]

    def build(overlay: dict[str, Any]) -> KioskConfig:
        return load_config(local, remote_bundle=overlay, overrides=overrides, enrolled_server=enrolled_server)

    if credential is None:
        return build, base
    overlay = RemoteConfig(base.data_path(), credential["terminal_id"], build).load_cached()
    return build, build(overlay or {})


def open_runtime(args: argparse.Namespace, devices: bool = True, camera: bool = False) -> Runtime:
    """Build config (+ demo world), backend client, journal and, if asked, the devices."""
    overrides = _local_overrides(args)
    world = None
    token = None
    if getattr(args, "demo", False):
        from cli.demo_world import DemoWorld

        world = DemoWorld(getattr(args, "data_dir", None) or DEMO_DATA_DIR)
        overrides = world.start() + overrides
        token = world.server.terminal_token
    try:
        build, config = config_builder(args, overrides)
    except BaseException:
        if world is not None:
            world.stop()
        raise
    runtime = Runtime(config=config, world=world, build=build)
    if world is not None:
        runtime._closers.append(world.stop)
    try:
        config.data_path().mkdir(parents=True, exist_ok=True)
        from kiosk.backend import BackendClient
        from kiosk.fleet_client import load_credential

        credential = load_credential(config.data_path())
        runtime.token = token or (credential["token"] if credential else None)
        runtime.backend = BackendClient(
            config.server.url, runtime.token, timeout=config.server.timeout, retries=config.server.retries
        )
        if devices:
            from drivers.factory import build_devices
            from kiosk.journal import PrintJournal

            runtime.devices = build_devices(config, with_camera=camera)
            runtime._closers.append(runtime.devices.close)
            runtime.journal = PrintJournal(config.data_path() / "print-journal.sqlite3")
            if world is not None:
                world.attach(runtime.devices)
    except BaseException:
        runtime.close()
        raise
    return runtime
