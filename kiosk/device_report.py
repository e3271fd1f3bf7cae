"""What the terminal says about one device: the same report for the heartbeat and for ``doctor``.

``status`` is one of ``DEVICE_STATES`` (the fleet manager's words), ``detail`` a log-safe text,
``fix`` what an operator can do about it (empty when there is nothing to do) and, for printers,
``paper``. Reports are built from what the device's owner last observed (the print service's
last status, the card monitor's last error), never by asking the hardware from another thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.fleet_protocol import MAX_DETAIL_CHARS, MAX_STATUS_CHARS
from kiosk.errors import CardError, CardErrorKind
from kiosk.printer_status import PrinterStatus

DEVICE_STATES = ("ok", "offline", "error", "unknown")

# PrinterStatus → (status, paper) as the fleet manager's heartbeat schema spells them
_PRINTER_STATES: dict[PrinterStatus, tuple[str, str]] = {
    PrinterStatus.UNKNOWN: ("unknown", "unknown"),
    PrinterStatus.READY: ("ok", "ok"),
    PrinterStatus.PAPER_NEAR_END: ("ok", "near_end"),
    PrinterStatus.NO_PAPER: ("error", "out"),
    PrinterStatus.COVER_OPEN: ("error", "unknown"),
    PrinterStatus.OFFLINE: ("offline", "unknown"),
    PrinterStatus.ERROR: ("error", "unknown"),
}
PRINTER_FIXES = {
    PrinterStatus.NO_PAPER: "load a new paper roll",
    PrinterStatus.PAPER_NEAR_END: "paper is running low: load a new roll soon",
    PrinterStatus.COVER_OPEN: "close the printer cover",
    PrinterStatus.OFFLINE: "check the printer's power and cable/network (printer.host, printer.port in the config)",
    PrinterStatus.ERROR: "power-cycle the printer; if it persists, call for service",
}
CARD_FIXES = {
    CardErrorKind.SERVICE: "start the PC/SC daemon: systemctl start pcscd (package pcscd)",
    CardErrorKind.NO_READER: "plug in the card reader, or set card.reader to a name listed by pcsc_scan",
}
CARD_FIX_DEFAULT = "check the reader's cable; run pcsc_scan to see what the system sees"


@dataclass(frozen=True)
class DeviceReport:
    status: str  # one of DEVICE_STATES
    detail: str = ""
    paper: str | None = None  # printers: ok | near_end | out | unknown
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        """The heartbeat's view (the fix stays on the terminal: staff see it in ``doctor``)."""
        out: dict[str, Any] = {"status": self.status[:MAX_STATUS_CHARS], "detail": self.detail[:MAX_DETAIL_CHARS]}
        if self.paper is not None:
            out["paper"] = self.paper
        return out


def printer_report(status: PrinterStatus | str | None) -> DeviceReport:
    """A report from a ``PrinterStatus`` (a name or value string is parsed); None or UNKNOWN means
    never checked. A low roll is "ok" with ``paper`` near_end and a fix to load paper soon."""
    member = PrinterStatus.parse(status) if status is not None else PrinterStatus.UNKNOWN
    if member is PrinterStatus.UNKNOWN:
        return DeviceReport("unknown", "not checked yet", "unknown")
    state, paper = _PRINTER_STATES[member]
    return DeviceReport(state, member.value, paper, PRINTER_FIXES.get(member, ""))


def card_reader_report(reader_name: str, error: CardError | None) -> DeviceReport:
    """A report from the card monitor's last poll: ``error`` None means the reader answered."""
    if error is None:
        return DeviceReport("ok", reader_name)
    status = "offline" if error.kind in (CardErrorKind.NO_READER, CardErrorKind.SERVICE) else "error"
    return DeviceReport(status, f"{error.kind.value}: {error.detail}", fix=CARD_FIXES.get(error.kind, CARD_FIX_DEFAULT))
