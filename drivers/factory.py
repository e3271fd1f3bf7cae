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
from typing import TYPE_CHECKING, Any, Protocol

from common.config import REPO_ROOT, KioskConfig
from kiosk.models import CardData, PinResult
from kiosk.ports import FacePort, PhotoPort, QrScanPort

if TYPE_CHECKING:  # annotations only: a terminal without a camera never imports OpenCV or numpy
    from drivers.camera.base import Camera
    from drivers.card.base import CardReader
    from drivers.card.simulator import VirtualCard
    from drivers.printer.connectors import EscPosPrinter
    from drivers.printer.virtual_printer import VirtualNetworkPrinter

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

    def change_pin(self, old_pin: str, new_pin: str) -> PinResult:
        from drivers.card.sscard import change_pin, read_card

        # The card's own birth date, so a new PIN made of it is refused before anything is sent.
        birth_date = read_card(self._connection).birth_date
        return change_pin(self._connection, old_pin, new_pin, birth_date=birth_date, select=False)

    def authenticate(self, key_id: int, challenge: bytes) -> bytes:
        from drivers.card.sscard import internal_authenticate

        return internal_authenticate(self._connection, key_id, challenge)

    def close(self) -> None:
        self._connection.disconnect()


class CardPortAdapter:
    """kiosk.ports.CardPort over a drivers.card CardReader."""

    def __init__(self, reader: CardReader) -> None:
        self.reader = reader

    def open_card(self) -> CardSessionAdapter:
        return CardSessionAdapter(self.reader.connect())

    def card_present(self) -> bool:
        return bool(self.reader.card_present())


class CardSlot(Protocol):
    """Where a simulated card goes in and out (the simulated reader, or the vpcd bridge)."""

    def insert(self, card: VirtualCard) -> None: ...
    def remove(self) -> None: ...
    def inserted_card(self) -> VirtualCard | None: ...


@dataclass
class Devices:
    """The terminal's devices; ``close()`` stops whatever was started for them (simulators, pcscd)."""

    card_reader: CardReader
    printer: EscPosPrinter
    camera: Camera | None = None
    card_slot: CardSlot | None = None  # simulated cards only: for the demo dock and tests
    virtual_printer: VirtualNetworkPrinter | None = None  # when printer.kind == "virtual"
    _stoppers: list[Callable[[], None]] = field(default_factory=list)

    def card_port(self) -> CardPortAdapter:
        return CardPortAdapter(self.card_reader)

    def face_port(self) -> FacePort | None:
        """kiosk.ports.FacePort over the camera, or None on a terminal without one."""
        if self.camera is None:
            return None
        from drivers.camera.face_port import CameraFacePort

        return CameraFacePort(self.camera)

    def photo_port(self) -> PhotoPort | None:
        """kiosk.ports.PhotoPort (the 社保卡 photo) over the camera, or None on a terminal without one."""
        if self.camera is None:
            return None
        from drivers.camera.photo_port import CameraPhotoPort

        return CameraPhotoPort(self.camera)

    def qr_scan_port(self) -> QrScanPort | None:
        """kiosk.ports.QrScanPort (电子社保卡 codes) over the camera, or None on a terminal without one."""
        if self.camera is None:
            return None
        from drivers.camera.qr_port import CameraQrScanPort

        return CameraQrScanPort(self.camera)

    def close(self) -> None:
        self.stop_all(self._stoppers)

    @staticmethod
    def stop_all(stoppers: list[Callable[[], None]]) -> None:
        """Stop in reverse order of starting; one failing stop does not keep the others from running."""
        for stop in reversed(stoppers):
            try:
                stop()
            except Exception as exc:  # closing must go on for the other devices
                logger.warning("stopping a device: %s", exc)
        stoppers.clear()


Stoppers = list[Callable[[], None]]


def build_card(config: KioskConfig, stoppers: Stoppers) -> tuple[CardReader, CardSlot | None]:
    """The configured reader, and where simulated cards go in when the reader is simulated."""
    kind = config.card.kind
    if kind == "simulated":
        from drivers.card.simulated_reader import SimulatedCardReader

        reader = SimulatedCardReader()
        return reader, reader
    from drivers.card.pcsc_reader import PcscCardReader

    if kind == "vpcd":
        from drivers.card.pcscd_service import IsolatedPcscd
        from drivers.card.vpcd_card import VpcdCardBridge

        pcscd = IsolatedPcscd()
        pcscd.start()
        stoppers.append(pcscd.stop)
        pcscd.export_env()  # libpcsclite reads the socket path once, at this process's first context
        bridge = VpcdCardBridge(port=pcscd.vpcd_port)
        stoppers.append(bridge.remove)
        return PcscCardReader(config.card.reader or pcscd.reader_name_pattern), bridge
    return PcscCardReader(config.card.reader), None


def build_printer(config: KioskConfig, stoppers: Stoppers) -> tuple[EscPosPrinter, VirtualNetworkPrinter | None]:
    """The configured printer (a relative ``printer.path`` is under the repository), and its simulator."""
    from drivers.printer.factory import create_printer

    printer_config = config.printer
    if not Path(printer_config.path).is_absolute():
        printer_config = printer_config.model_copy(update={"path": str(REPO_ROOT / printer_config.path)})
    built = create_printer(printer_config)
    if built.virtual is not None:
        stoppers.append(built.virtual.stop)
    return built.printer, built.virtual


def build_devices(config: KioskConfig, with_camera: bool = False) -> Devices:
    """Build every configured device. Raises the device's own typed error when one cannot start,
    after stopping whatever it had started."""
    stoppers: Stoppers = []
    try:
        card_reader, card_slot = build_card(config, stoppers)
        printer, virtual_printer = build_printer(config, stoppers)
        camera = None
        if with_camera:
            from drivers.camera.factory import build_camera

            cam = config.camera
            camera = build_camera(cam.kind, cam.source, cam.width, cam.height, cam.fps)
    except BaseException:
        Devices.stop_all(stoppers)
        raise
    return Devices(card_reader, printer, camera, card_slot, virtual_printer, stoppers)
