"""An in-process reader slot holding a virtual card: the transport when pcscd is not available.

``SimulatedCardReader`` implements CardReader and CardSlot.  ``connect()`` powers the card and
returns a connection whose ``transmit`` hands the APDU bytes to the card's ``process()``, so the
very same sscard protocol code (including T=0 61xx/6Cxx handling) runs as over pcscd.

Besides insert/remove, the slot can simulate the reader being unplugged (``unplug()``/``plug()``)
and the PC/SC service being down (``service_down``), so monitors and flows are tested against
the same error kinds the PC/SC reader produces.
"""

from __future__ import annotations

import logging
import threading

from drivers.card.base import CardConnection, CardReader
from drivers.card.simulator import CardMute, CardPulled, VirtualCard
from kiosk.errors import CardError, CardErrorKind

logger = logging.getLogger(__name__)


class SimulatedCardReader(CardReader):
    """A reader slot in this process. Thread-safe: the demo dock inserts while the kiosk reads."""

    def __init__(self, name: str = "Renshe Simulated Reader 00 00") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._card: VirtualCard | None = None
        self._generation = 0  # bumps on every insert/remove so stale connections see REMOVED
        self.attached = True
        self.service_down = False

    # --- CardSlot ---
    @property
    def inserted_card(self) -> VirtualCard | None:
        return self._card

    def insert(self, card: VirtualCard) -> None:
        with self._lock:
            self._card = card
            self._generation += 1
            card.power_off()
        logger.info("simulated reader: card inserted")

    def remove(self) -> None:
        with self._lock:
            if self._card is not None:
                self._card.power_off()
            self._card = None
            self._generation += 1
        logger.info("simulated reader: card removed")

    def unplug(self) -> None:
        """The reader's cable is pulled: NO_READER until ``plug()``; the card goes with it."""
        self.attached = False
        self.remove()

    def plug(self) -> None:
        self.attached = True

    # --- CardReader ---
    def _check(self) -> None:
        if self.service_down:
            raise CardError(CardErrorKind.SERVICE, "simulated PC/SC service is down")
        if not self.attached:
            raise CardError(CardErrorKind.NO_READER, f"reader {self.name!r} is not attached")

    def list_readers(self) -> list[str]:
        if self.service_down:
            raise CardError(CardErrorKind.SERVICE, "simulated PC/SC service is down")
        return [self.name] if self.attached else []

    def card_present(self) -> bool:
        self._check()
        return self._card is not None

    def connect(self) -> CardConnection:
        with self._lock:
            self._check()
            card = self._card
            if card is None:
                raise CardError(CardErrorKind.NO_CARD, "no card in the simulated reader")
            try:
                card.power_on()
            except CardMute as exc:
                raise CardError(CardErrorKind.MUTE, "card gives no ATR") from exc
            return _SimulatedConnection(self, card, self._generation)

    def _pulled(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._card = None
                self._generation += 1


class _SimulatedConnection(CardConnection):
    def __init__(self, reader: SimulatedCardReader, card: VirtualCard, generation: int) -> None:
        self._reader = reader
        self._card = card
        self._generation = generation
        self._open = True

    def transmit(self, apdu: bytes) -> bytes:
        reader = self._reader
        if reader.service_down:
            raise CardError(CardErrorKind.SERVICE, "simulated PC/SC service is down")
        if not self._open or reader._generation != self._generation:
            raise CardError(CardErrorKind.REMOVED, "card was removed")
        try:
            return self._card.process(bytes(apdu))
        except CardPulled as exc:
            reader._pulled(self._generation)
            raise CardError(CardErrorKind.REMOVED, "card removed during a command") from exc
        except CardMute as exc:
            raise CardError(CardErrorKind.MUTE, "card did not answer") from exc

    def disconnect(self) -> None:
        if self._open:
            self._open = False
            if self._reader._generation == self._generation:
                self._card.power_off()
