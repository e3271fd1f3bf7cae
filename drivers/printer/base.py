"""The printer interface the kiosk uses, and its status values.

Contract: ``status()`` answers within a few seconds (a printer that does not answer is OFFLINE);
``print_document()`` checks the status before the job and after it and raises
``kiosk.errors.PrinterError(status)`` when the printer is, or became, unusable — paper out in
the middle of the job included — so the caller leaves the journal entry unconfirmed and reprints.

``PrinterStatus`` belongs to the kiosk (kiosk.printer_status): drivers implement the kiosk's ports.
It is re-exported here so driver code keeps importing it from ``drivers.printer.base``.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod

from kiosk.documents import Document
from kiosk.errors import PrinterError
from kiosk.printer_status import PrinterStatus

__all__ = ["Printer", "PrinterStatus"]

logger = logging.getLogger(__name__)


class Printer(ABC):
    """A receipt printer. Subclasses implement ``status``, ``print_bytes`` and ``encode``."""

    name: str = "printer"
    #: after sending a job, keep polling the status this long: a real printer is still printing
    #: from its buffer, and paper can run out after the last byte was accepted
    settle_seconds: float = 0.0
    settle_poll: float = 0.5
    #: the last status seen and when (time.time()), for the menu and the fleet manager's heartbeat
    last_status: PrinterStatus | None = None
    last_checked: float | None = None

    @abstractmethod
    def status(self) -> PrinterStatus:
        """The current state, never UNKNOWN; OFFLINE when the printer does not answer within its timeout."""

    @abstractmethod
    def print_bytes(self, data: bytes) -> None:
        """Send raw ESC/POS bytes; raises PrinterError(PrinterStatus.OFFLINE) if they cannot be delivered."""

    @abstractmethod
    def encode(self, doc: Document) -> bytes:
        """The exact bytes this printer would be sent for ``doc``."""

    def print_document(self, doc: Document) -> None:
        """Print ``doc``, checking the status before and after; raises PrinterError when unusable."""
        before = self.status()
        if not before.checked_usable:
            logger.warning("printer %s not usable before job %r: %s", self.name, doc.title, before.name)
            raise PrinterError(before, f"before job: {before.name}")
        data = self.encode(doc)
        self.print_bytes(data)
        deadline = time.monotonic() + self.settle_seconds
        after = self.status()
        while after.checked_usable and time.monotonic() < deadline:
            time.sleep(max(min(self.settle_poll, deadline - time.monotonic()), 0))
            after = self.status()
        if not after.checked_usable:
            # Paper ran out or the cover opened during the job: the certificate is incomplete.
            logger.warning("printer %s became %s during job %r", self.name, after.name, doc.title)
            raise PrinterError(after, f"during job: {after.name}")
        logger.info("printed %r on %s (%d bytes), status %s", doc.title, self.name, len(data), after.name)

    def health(self) -> dict[str, object]:
        """What a heartbeat reports: name, last status (None before the first query), usable, when."""
        status = self.last_status
        return {
            "name": self.name,
            "status": status.name if status else None,
            "usable": bool(status and status.checked_usable),
            "checked_at": self.last_checked,
        }
