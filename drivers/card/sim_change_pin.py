"""The virtual 社保卡's CHANGE PIN ``80 5E 01 00 07 <old PIN BCD> FF <new PIN BCD>`` (docs/card-protocol.md).

Answers like VERIFY: 9000 and the new PIN stored (tries reset, the PIN counts as verified);
63Cx with one try fewer for a wrong old PIN; 6983 when blocked (``CardFaults.pin_blocked`` or no
tries left). Strict like a card: P1 ≠ 01 or P2 ≠ 00 → 6A86, a body that is not 7 bytes → 6700,
no FF separator or non-BCD digits → 6A80, the SSSE DF not selected → 6A88. Fault injection is the
generic one (``status_override`` on the ``80 5E`` prefix, removal, mute) plus ``pin_blocked``.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

logger = logging.getLogger(__name__)

CLA_PROPRIETARY, INS_CHANGE_PIN = 0x80, 0x5E


class _PinCard(Protocol):
    """What CHANGE PIN touches on drivers.card.simulator.VirtualSocialSecurityCard."""

    profile: Any
    faults: Any
    tries_left: int
    df_selected: bool
    pin_verified: bool


def change_pin_status(card: _PinCard, p1: int, p2: int, body: bytes) -> int:
    """The status word of one CHANGE PIN on ``card`` (whose PIN and try counter it updates)."""
    if p1 != 0x01 or p2 != 0x00:
        return 0x6A86
    if len(body) != 7:
        return 0x6700
    old, sep, new = body[:3].hex(), body[3], body[4:].hex()
    if sep != 0xFF or not old.isdigit() or not new.isdigit():
        return 0x6A80
    if not card.df_selected:
        return 0x6A88
    card.pin_verified = False
    if card.faults.pin_blocked or card.tries_left <= 0:
        return 0x6983
    if old != card.profile.pin:
        card.tries_left -= 1
        return 0x63C0 | card.tries_left
    card.profile.pin = new
    card.tries_left = card.profile.pin_tries
    card.pin_verified = True
    logger.info("virtual card: PIN changed")
    return 0x9000
