"""Everything a command needs, built from the command line: config, devices, backend, journal.

``open_runtime(args)`` is the composition used by the UI and every sub-command; ``--demo`` adds
the demo world (embedded server, simulated devices) before the devices are built.
"""
from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from kiosk.config import REPO_ROOT, KioskConfig, load_config, parse_override

logger = logging.getLogger(__name__)

DEMO_DATA_DIR = REPO_ROOT / "data" / "demo"


def add_common_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """Options every command takes; ``suppress`` keeps a sub-parser from resetting the main parser's value."""
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--demo", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="embedded server on SQLite with demo data, simulated card, camera and printer")
    parser.add_argument("--config", type=Path, default=default, help="local config file (TOML)")
    parser.add_argument("--data-dir", type=Path, default=default, help="data directory (overrides terminal.data_dir)")
    parser.add_argument("--set", dest="overrides", action="append", default=argparse.SUPPRESS if suppress else [],
                        metavar="SECTION.KEY=VALUE", help="override one config value (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS if suppress else False)


@dataclass
class Runtime:
    config: KioskConfig
    devices: Any = None
    backend: Any = None
    journal: Any = None
    world: Any = None
    token: str | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self._closers):
            try:
                close()
            except Exception as exc:  # keep closing the rest
                logger.warning("closing: %s", exc)
        self._closers.clear()


def terminal_token(config: KioskConfig) -> str | None:
    """The credential `main.py enroll` stored in the data directory, if any."""
    path = config.data_path() / "terminal.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("token")
    except FileNotFoundError:
        return None


def open_runtime(args: argparse.Namespace, devices: bool = True) -> Runtime:
    """Build config (+ demo world), backend client, journal and, if asked, the devices."""
    overrides = [parse_override(text) for text in getattr(args, "overrides", []) or []]
    world = None
    token = None
    if getattr(args, "demo", False):
        from cli.demo_world import DemoWorld

        world = DemoWorld(getattr(args, "data_dir", None) or DEMO_DATA_DIR)
        overrides = world.start() + overrides
        token = world.server.terminal_token
    elif getattr(args, "data_dir", None):
        overrides.append({"terminal": {"data_dir": str(args.data_dir)}})
    try:
        config = load_config(getattr(args, "config", None), overrides=overrides)
    except BaseException:
        if world is not None:
            world.stop()
        raise
    runtime = Runtime(config=config, world=world)
    if world is not None:
        runtime._closers.append(world.stop)
    try:
        config.data_path().mkdir(parents=True, exist_ok=True)
        from kiosk.backend import BackendClient

        runtime.token = token or terminal_token(config)
        runtime.backend = BackendClient(config.server.url, runtime.token,
                                        timeout=config.server.timeout, retries=config.server.retries)
        if devices:
            from drivers.factory import build_devices
            from kiosk.journal import PrintJournal

            runtime.devices = build_devices(config)
            runtime._closers.append(runtime.devices.close)
            runtime.journal = PrintJournal(config.data_path() / "print-journal.sqlite3")
            if world is not None:
                world.attach(runtime.devices)
    except BaseException:
        runtime.close()
        raise
    return runtime
