"""The one wiring module: a terminal built from its config and command line.

``open_runtime(args)`` builds what every command needs (config with the cached remote bundle,
backend client, and if asked the devices and print journal; ``--demo`` adds the demo world —
embedded server, simulated devices — before the devices are built), typed, with the closers that
undo it. ``assemble_kiosk(runtime, post)`` wires the session core to those devices for the UI:
the print service (the printer's one owner), the card monitor (the reader's), the worker.
"""

from __future__ import annotations

import argparse
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import REPO_ROOT, KioskConfig, load_config, parse_override

if TYPE_CHECKING:  # the heavy modules load only in the commands that use them
    from cli.demo_world import DemoWorld
    from drivers.card.monitor import CardMonitor
    from drivers.factory import Devices
    from kiosk.backend import BackendClient
    from kiosk.controller import KioskController
    from kiosk.journal import PrintJournal
    from kiosk.print_service import PrintService
    from kiosk.worker import ThreadWorker

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
    """A terminal built from its config: the backend client, the devices and print journal (when
    asked for), the demo world (``--demo``), and the closers that undo all of it in reverse."""

    config: KioskConfig
    backend: BackendClient
    build: Callable[[dict[str, Any]], KioskConfig]
    token: str | None = None
    devices: Devices | None = None
    journal: PrintJournal | None = None
    world: DemoWorld | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def require_devices(self) -> tuple[Devices, PrintJournal]:
        """The devices and journal of a runtime opened with ``devices=True``."""
        if self.devices is None or self.journal is None:
            raise RuntimeError("this runtime was opened without devices")
        return self.devices, self.journal

    def close(self) -> None:
        self.close_all(self._closers)

    @staticmethod
    def close_all(closers: list[Callable[[], None]]) -> None:
        """Run closers newest first; one failing does not keep the others from running."""
        for close in reversed(closers):
            try:
                close()
            except Exception as exc:  # keep closing the rest
                logger.warning("closing: %s", exc)
        closers.clear()


@dataclass
class KioskParts:
    """The running kiosk behind the screens: the session core, the print service that owns the
    printer, the card monitor that owns the reader, and the worker for blocking I/O."""

    controller: KioskController
    printing: PrintService
    monitor: CardMonitor
    worker: ThreadWorker

    def stop(self) -> None:
        self.monitor.stop()
        self.worker.stop()
        self.printing.stop()


def assemble_kiosk(runtime: Runtime, post: Callable[[Callable[[], None]], None]) -> KioskParts:
    """Wire the session core to the runtime's devices; ``post`` hands callbacks to the UI thread.
    Unfinished printouts from before a crash are recovered as soon as the printer is ready."""
    from drivers.card.monitor import CardMonitor
    from kiosk.controller import KioskController
    from kiosk.print_service import PrintService
    from kiosk.worker import ThreadWorker

    devices, journal = runtime.require_devices()
    config = runtime.config
    width = config.printer.paper_width_dots

    def preview_png(document: Any) -> bytes:
        from drivers.printer.preview import render_preview  # loaded after the first frame (drivers.warm_up)

        buffer = io.BytesIO()
        render_preview(document, width).save(buffer, format="PNG")
        return buffer.getvalue()

    worker = ThreadWorker(post)
    printing = PrintService(
        devices.printer, journal, post, config.terminal.language, terminal_id=config.terminal.id, paper_width_dots=width
    )
    controller = KioskController(
        config,
        worker,
        devices.card_port(),
        runtime.backend,
        printing,
        preview_png,
        face=devices.face_port(),
        qr_scan=devices.qr_scan_port(),
        photo=devices.photo_port(),
    )
    monitor = CardMonitor(
        devices.card_reader, controller.card_inserted, controller.card_removed, poll_interval=config.card.poll_interval
    )
    printing.recover_unfinished()
    return KioskParts(controller, printing, monitor, worker)


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
        from cli.demo_world import DEMO_PERSONS, SCRIPT_PERSONS, DemoWorld

        persons = SCRIPT_PERSONS.get(getattr(args, "script", None) or "", DEMO_PERSONS)
        world = DemoWorld(getattr(args, "data_dir", None) or DEMO_DATA_DIR, persons=persons)
        overrides = world.start() + overrides
        token = world.server.terminal_token
    try:
        build, config = config_builder(args, overrides)
    except BaseException:
        if world is not None:
            world.stop()
        raise
    closers: list[Callable[[], None]] = [world.stop] if world is not None else []
    try:
        config.data_path().mkdir(parents=True, exist_ok=True)
        from kiosk.backend import BackendClient
        from kiosk.fleet_client import load_credential

        credential = load_credential(config.data_path())
        token = token or (credential["token"] if credential else None)
        backend = BackendClient(config.server.url, token, timeout=config.server.timeout, retries=config.server.retries)
        closers.append(backend.close)
        runtime = Runtime(config, backend, build, token, world=world, _closers=closers)
        if devices:
            from drivers.factory import build_devices
            from kiosk.journal import PrintJournal

            runtime.devices = build_devices(config, with_camera=camera)
            closers.append(runtime.devices.close)
            runtime.journal = PrintJournal(config.data_path() / "print-journal.sqlite3")
            closers.append(runtime.journal.close)
            if world is not None:
                world.attach(runtime.devices)
    except BaseException:
        Runtime.close_all(closers)
        raise
    return runtime
