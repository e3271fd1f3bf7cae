"""The small device interface of the card layer.

``CardReader`` is one configured reader (PC/SC or simulated); ``CardConnection`` is an open
channel to the card in it.  The 社会保障卡 protocol (drivers.card.sscard) only needs
``CardConnection.transmit``, so it runs unchanged over pcscd, the in-process simulator and the
scripted connections of the unit tests.

Contract for every implementation:
- errors are ``kiosk.errors.CardError`` with the right ``CardErrorKind``; nothing else escapes;
- ``card_present()`` never raises for "no card"; it raises NO_READER / SERVICE when the reader or
  the PC/SC service is gone, and recovers on the next call once they are back;
- ``transmit`` returns the full response APDU (data + SW1 SW2) and raises REMOVED / MUTE when the
  transport is lost.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod

logger = logging.getLogger(__name__)


class CardConnection(ABC):
    """An open channel to one inserted card."""

    @abstractmethod
    def transmit(self, apdu: bytes) -> bytes:
        """Send one command APDU; return data + SW1 SW2. Raises CardError(REMOVED/MUTE)."""

    @abstractmethod
    def disconnect(self) -> None:
        """Release the card. Never raises."""

    def __enter__(self) -> CardConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()


class CardReader(ABC):
    """One configured PC/SC (or simulated) reader."""

    name: str = ""

    @abstractmethod
    def list_readers(self) -> list[str]:
        """Names of all readers the service knows now. Raises CardError(SERVICE)."""

    @abstractmethod
    def card_present(self) -> bool:
        """True when a card sits in the reader. Raises CardError(NO_READER/SERVICE) only."""

    @abstractmethod
    def connect(self) -> CardConnection:
        """Power the card and open a channel. Raises CardError(NO_CARD/NO_READER/SERVICE/MUTE)."""

    def wait_for_change(self, timeout: float) -> None:
        """Block up to ``timeout`` seconds, returning early if the reader may have changed.

        Used by CardMonitor between polls. The default just sleeps; PC/SC readers block in
        SCardGetStatusChange so an insertion is reported as soon as pcscd sees it. Never raises.
        """
        time.sleep(timeout)
