"""Which new 社保卡 PINs are refused before anything is sent to the card.

``pin_refusal(pin, birth_date)`` returns None for an acceptable new PIN, else the message key that
says why: ``card.pin_format`` (not exactly 6 ASCII digits) or ``card.pin_trivial`` (one digit
repeated such as 000000, a run such as 123456 / 654321, or the digits of the holder's birth date:
YYMMDD, MMDDYY, DDMMYY or the last six of YYYYMMDD). Pure; the PIN is never logged here.
"""

from __future__ import annotations

import datetime as dt
import logging

logger = logging.getLogger(__name__)

PIN_LENGTH = 6


def is_pin_format(pin: str) -> bool:
    """Exactly six ASCII digits."""
    return isinstance(pin, str) and len(pin) == PIN_LENGTH and pin.isascii() and pin.isdigit()


def _is_run(pin: str) -> bool:
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    return steps in ({0}, {1}, {9})


def _birth_forms(birth_date: dt.date) -> set[str]:
    yy, mm, dd = f"{birth_date:%y}", f"{birth_date:%m}", f"{birth_date:%d}"
    return {yy + mm + dd, mm + dd + yy, dd + mm + yy, f"{birth_date:%Y%m%d}"[-6:]}


def pin_refusal(pin: str, birth_date: dt.date | None = None) -> str | None:
    """None when ``pin`` may become the card's new PIN, else the message key of the reason."""
    if not is_pin_format(pin):
        return "card.pin_format"
    if _is_run(pin) or (birth_date is not None and pin in _birth_forms(birth_date)):
        return "card.pin_trivial"
    return None
