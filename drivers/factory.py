"""The one place that turns configuration into device objects (real or simulated).

``build_devices(config)`` returns a :class:`Devices` bundle; ``Devices.close()`` stops whatever
it started (simulators, an isolated pcscd). Imports of a device family happen inside the branch
that needs it, so a terminal without a camera never imports OpenCV.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import REPO_ROOT, KioskConfig
from kiosk.models import CardData, PinResult

logger = logging.getLogger(__name__)


class CardSessionAdapter:
    """kiosk.ports.CardSession over one open card connection and the 社保卡 protocol."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def read(self) -> CardData:
        from drivers.card.sscard import read_card

        return read_card(self._connection)

    def verify_pin(self, pin: str) -> PinResult:
        from drivers.card.sscard import verify_pin

        return verify_pin(self._connection, pin)

    def close(self) -> None:
        self._connection.disconnect()


class CardPortAdapter:
    """kiosk.ports.CardPort over a drivers.card CardReader."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    def open_card(self) -> CardSessionAdapter:
        return CardSessionAdapter(self.reader.connect())


@dataclass
class Devices:
    card_reader: Any
    printer: Any
    camera: Any = None
    card_slot: Any = None  # simulated readers only: insert()/remove() for the demo dock and tests
    virtual_printer: Any = None  # the simulated printer's controls, when printer.kind == "virtual"
    _stoppers: list[Callable[[], None]] = field(default_factory=list)

    def card_port(self) -> CardPortAdapter:
        return CardPortAdapter(self.card_reader)

    def face_port(self) -> Any:
        """kiosk.ports.FacePort over the camera, or None on a terminal without one."""
        if self.camera is None:
            return None
        from drivers.camera.face_port import CameraFacePort

        return CameraFacePort(self.camera)

    def close(self) -> None:
        for stop in reversed(self._stoppers):
            try:
                stop()
            except Exception as exc:  # closing must go on for the other devices
                logger.warning("stopping a device: %s", exc)
        self._stoppers.clear()


def build_card(config: KioskConfig, devices: Devices) -> None:
    kind = config.card.kind
    if kind == "simulated":
        from drivers.card.simulated_reader import SimulatedCardReader

        reader = SimulatedCardReader()
        devices.card_reader = reader
        devices.card_slot = reader
        return
    from drivers.card.pcsc_reader import PcscCardReader

    if kind == "vpcd":
        from drivers.card.pcscd_service import IsolatedPcscd
        from drivers.card.vpcd_card import VpcdCardBridge

        pcscd = IsolatedPcscd()
        pcscd.start()
        devices._stoppers.append(pcscd.stop)
        pcscd.export_env()  # libpcsclite reads the socket path once, at this process's first context
        bridge = VpcdCardBridge(port=pcscd.vpcd_port)
        devices._stoppers.append(bridge.remove)
        devices.card_slot = bridge
        devices.card_reader = PcscCardReader(config.card.reader or pcscd.reader_name_pattern)
        return
    devices.card_reader = PcscCardReader(config.card.reader)


def build_printer(config: KioskConfig, devices: Devices) -> None:
    from drivers.printer.factory import create_printer

    printer_config = config.printer.model_dump()
    if not Path(printer_config["path"]).is_absolute():
        printer_config["path"] = str(REPO_ROOT / printer_config["path"])
    printer = create_printer(printer_config)
    devices.printer = printer
    devices.virtual_printer = getattr(printer, "virtual", None)
    if devices.virtual_printer is not None and hasattr(devices.virtual_printer, "stop"):
        devices._stoppers.append(devices.virtual_printer.stop)


def build_devices(config: KioskConfig, with_camera: bool = False) -> Devices:
    """Build every configured device. Raises the device's own typed error when one cannot start."""
    devices = Devices(card_reader=None, printer=None)
    try:
        build_card(config, devices)
        build_printer(config, devices)
        if with_camera:
            from drivers.camera.factory import build_camera

            cam = config.camera
            devices.camera = build_camera(cam.kind, cam.source, cam.width, cam.height, cam.fps)
    except BaseException:
        devices.close()
        raise
    return devices
