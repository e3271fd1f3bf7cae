"""The printer's state as the kiosk sees it: one enum shared by the drivers, the print service,
the heartbeat and the doctor, so the state never crosses a layer as a loose string.

Contract:
- ``usable``: a print service may be offered / a job may be started — READY, PAPER_NEAR_END
  (a roll end still holds a few certificates) and UNKNOWN (not queried yet: services are offered,
  and the driver checks the real state before every job anyway, so nothing prints blind).
- ``reason_key``: the i18n key shown to residents (``printer.<value>``, e.g. ``printer.no_paper``).
- ``parse``: a member from a member, a name ("NO_PAPER") or a value ("no_paper"); anything else
  is ERROR, so an unexpected string never reads as a usable printer.

The members are strings (a StrEnum: their value) only so code still holding the old status strings
keeps working while it is moved over; compare members (``status is PrinterStatus.NO_PAPER``).
"""

from __future__ import annotations

import enum
import logging

logger = logging.getLogger(__name__)


class PrinterStatus(enum.StrEnum):
    UNKNOWN = "unknown"  # not queried yet
    READY = "ready"
    PAPER_NEAR_END = "paper_near_end"
    NO_PAPER = "no_paper"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    ERROR = "error"

    @property
    def usable(self) -> bool:
        """Printing may be offered: READY, PAPER_NEAR_END, or UNKNOWN (not queried yet)."""
        return self in (PrinterStatus.READY, PrinterStatus.PAPER_NEAR_END, PrinterStatus.UNKNOWN)

    @property
    def checked_usable(self) -> bool:
        """A query answered and the printer can take a job now (UNKNOWN is not enough)."""
        return self in (PrinterStatus.READY, PrinterStatus.PAPER_NEAR_END)

    @property
    def reason_key(self) -> str:
        """The i18n key that tells a resident why printing is (un)available, e.g. ``printer.no_paper``."""
        return f"printer.{self.value}"

    @classmethod
    def parse(cls, value: PrinterStatus | str) -> PrinterStatus:
        """The member for ``value`` (a member, a name or a value, any case); ERROR if unknown."""
        if isinstance(value, PrinterStatus):
            return value
        text = str(value).strip().lower()
        for member in cls:
            if member.value == text:
                return member
        logger.warning("unknown printer status %r read as ERROR", value)
        return cls.ERROR
