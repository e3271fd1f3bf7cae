"""The virtual card stack for ``--demo`` and tests: real pcscd when possible, in-process otherwise.

``open_virtual_card_stack()`` returns a ``VirtualCardStack``: ``reader`` (a CardReader for the
kiosk), ``slot`` (a CardSlot for the demo dock: insert/remove virtual cards), ``transport``
("pcscd" or "in-process") and ``close()``.  With pcscd, the card travels
VirtualSocialSecurityCard → VpcdCardBridge → vpcd → a private pcscd → pyscard → PcscCardReader,
so the demo exercises exactly the production path.

Must be called before anything in this process opens a PC/SC context (libpcsclite fixes the
daemon socket path at the first context).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from drivers.card.base import CardReader
from drivers.card.simulator import CardSlot

logger = logging.getLogger(__name__)


@dataclass
class VirtualCardStack:
    reader: CardReader
    slot: CardSlot
    transport: str
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for closer in reversed(self._closers):
            try:
                closer()
            except Exception as exc:  # noqa: BLE001 - closing goes on for the other parts
                logger.warning("closing the virtual card stack: %s", exc)
        self._closers.clear()


def open_virtual_card_stack(prefer_pcscd: bool = True) -> VirtualCardStack:
    """Start the virtual card path; falls back to the in-process reader if pcscd cannot run."""
    if prefer_pcscd:
        try:
            from drivers.card.pcsc_reader import PcscCardReader
            from drivers.card.pcscd_service import IsolatedPcscd, PcscdUnavailable
            from drivers.card.vpcd_card import VpcdCardBridge
        except ImportError as exc:  # pyscard missing: the in-process transport still works
            logger.warning("pyscard unavailable (%s); using the in-process card reader", exc)
        else:
            pcscd = IsolatedPcscd()
            pcscd.export_env()
            try:
                pcscd.start()
            except (PcscdUnavailable, OSError) as exc:
                logger.warning("private pcscd could not start (%s); using the in-process card reader", exc)
            else:
                bridge = VpcdCardBridge(port=pcscd.vpcd_port, netns_path=lambda: pcscd.netns_path)
                return VirtualCardStack(
                    PcscCardReader(pcscd.reader_name_pattern), bridge, "pcscd", [pcscd.stop, bridge.remove]
                )
    from drivers.card.simulated_reader import SimulatedCardReader

    reader = SimulatedCardReader()
    return VirtualCardStack(reader, reader, "in-process")
