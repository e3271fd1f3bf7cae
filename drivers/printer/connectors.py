"""python-escpos connectors (USB, serial, network 9100, file) and the EscPosPrinter built on them.

Status comes from DLE EOT real-time queries parsed here, with short timeouts: python-escpos waits
60 s on a silent network printer and its ``paper_status()`` reports "OK" on an empty reply, so a
printer that answers nothing must be OFFLINE, never READY.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from escpos.exceptions import Error as EscposError  # light: not the printer-profile database

from drivers.printer.base import Printer, PrinterStatus
from drivers.printer.encoder import EscPosEncoder
from kiosk.documents import Document
from kiosk.errors import PrinterError

if TYPE_CHECKING:  # escpos.escpos loads the printer-profile database: at first use (drivers.warm_up)
    from escpos.escpos import Escpos

logger = logging.getLogger(__name__)

DLE_EOT_PRINTER = b"\x10\x04\x01"
DLE_EOT_OFFLINE = b"\x10\x04\x02"
DLE_EOT_ERROR = b"\x10\x04\x03"
DLE_EOT_PAPER = b"\x10\x04\x04"


def _valid(reply: int) -> bool:
    """DLE EOT answers have bits 1 and 4 set and bits 0 and 7 clear."""
    return reply & 0x93 == 0x12


def parse_status(printer: int | None, offline: int | None, paper: int | None) -> PrinterStatus:
    """Combine the three DLE EOT answers (None = no answer) into one status."""
    if printer is None:
        return PrinterStatus.OFFLINE
    if (
        not _valid(printer)
        or (offline is not None and not _valid(offline))
        or (paper is not None and not _valid(paper))
    ):
        return PrinterStatus.ERROR
    if offline is not None:
        if offline & 0x04:
            return PrinterStatus.COVER_OPEN
        if offline & 0x20:
            return PrinterStatus.NO_PAPER
    if paper is not None and paper & 0x60:
        return PrinterStatus.NO_PAPER
    if offline is not None and offline & 0x40:
        return PrinterStatus.ERROR
    if printer & 0x08:
        return PrinterStatus.OFFLINE
    if paper is not None and paper & 0x0C:
        return PrinterStatus.PAPER_NEAR_END
    return PrinterStatus.READY


def build_connector(cfg: dict[str, Any], timeout: float) -> Escpos:
    """A python-escpos connector for ``cfg["kind"]``; ``timeout`` bounds connect and status reads."""
    kind = cfg.get("kind", "network")
    if kind in ("network", "virtual"):
        from escpos.printer import Network

        return Network(host=str(cfg.get("host", "127.0.0.1")), port=int(cfg.get("port", 9100)), timeout=timeout)
    if kind == "usb":
        from escpos.printer import Usb

        return Usb(int(cfg.get("vendor_id", 0)), int(cfg.get("product_id", 0)), timeout=int(timeout * 1000))
    if kind == "serial":
        from escpos.printer import Serial

        return Serial(
            devfile=str(cfg.get("device", "/dev/ttyUSB0")), baudrate=int(cfg.get("baudrate", 115200)), timeout=timeout
        )
    if kind == "file":
        from escpos.printer import File

        return File(devfile=str(cfg.get("path", "printer-out.bin")))
    raise ValueError(f"unknown printer kind {kind!r}")


class EscPosPrinter(Printer):
    """An ESC/POS printer behind a python-escpos connector; one connection per status query or job.

    Opening per operation means a printer that was power-cycled or re-plugged is found again
    without restarting the kiosk.
    """

    def __init__(
        self,
        connector_factory: Callable[[], Escpos],
        encoder: EscPosEncoder,
        *,
        name: str = "escpos",
        status_timeout: float = 2.0,
        job_timeout: float = 30.0,
        has_status: bool = True,
    ) -> None:
        self._connector_factory = connector_factory
        self.encoder = encoder
        self.name = name
        self.status_timeout = status_timeout
        self.job_timeout = job_timeout
        self.has_status = has_status  # False for the file connector: nothing to ask, always READY

    def encode(self, doc: Document) -> bytes:
        return self.encoder.encode(doc)

    def _open(self) -> Escpos:
        connector = self._connector_factory()
        connector.open()
        if getattr(connector, "device", None) is None:
            raise PrinterError(PrinterStatus.OFFLINE, f"{self.name}: device not found")
        return connector

    def status(self) -> PrinterStatus:
        if not self.has_status:
            self.last_status, self.last_checked = PrinterStatus.READY, time.time()
            return PrinterStatus.READY
        connector = None
        try:
            connector = self._open()
            printer = self._query(connector, DLE_EOT_PRINTER)
            if printer is None:
                return PrinterStatus.OFFLINE
            offline = self._query(connector, DLE_EOT_OFFLINE)
            paper = self._query(connector, DLE_EOT_PAPER)
            result = parse_status(printer, offline, paper)
        except (OSError, EscposError, PrinterError, ValueError) as exc:
            logger.info("printer %s status query failed: %s", self.name, exc)
            result = PrinterStatus.OFFLINE
        finally:
            self._close(connector)
        if result is not self.last_status:
            logger.info("printer %s status %s", self.name, result.name)
        self.last_status, self.last_checked = result, time.time()
        return result

    def _query(self, connector: Escpos, command: bytes) -> int | None:
        """Send one DLE EOT and read its one-byte answer; None on silence or a closed link."""
        device = connector.device
        if isinstance(device, socket.socket):
            device.settimeout(self.status_timeout)
        connector._raw(command)
        try:
            reply = connector._read()
        except TimeoutError:
            return None
        except Exception as exc:  # pyusb raises USBTimeoutError, pyserial SerialException: all mean "no answer"
            logger.debug("status read failed: %s", exc)
            return None
        if not reply:
            return None
        return reply[-1]  # a late answer to an earlier query may precede ours; the last byte is ours

    def print_bytes(self, data: bytes) -> None:
        connector = None
        try:
            connector = self._open()
            device = connector.device
            if isinstance(device, socket.socket):
                device.settimeout(self.job_timeout)  # a full printer buffer may hold the send for a while
            connector._raw(data)
        except (OSError, EscposError) as exc:
            logger.warning("printer %s: sending %d bytes failed: %s", self.name, len(data), exc)
            raise PrinterError(PrinterStatus.OFFLINE, f"send failed: {exc}") from exc
        finally:
            self._close(connector)

    @staticmethod
    def _close(connector: Escpos | None) -> None:
        if connector is None:
            return
        try:
            connector.close()
        except (OSError, EscposError) as exc:
            logger.debug("closing connector: %s", exc)
