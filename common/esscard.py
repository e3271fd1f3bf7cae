"""The 电子社保卡 (electronic social-security card) sign-in code, as terminal and gateway agree on it.

The resident's phone shows the code as a QR code; the terminal reads it with its camera and the
gateway (standing in for the national platform that issues the codes) resolves it to the person.

Contract:
- a code is ``ESSC1-`` followed by 26 characters of Crockford's base-32 alphabet (130 random bits):
  ASCII only, because OpenCV's QR detector decodes UTF-8 payloads badly, and upper-case
  alphanumerics only, so the QR code uses the compact alphanumeric mode and stays readable from a
  phone screen held at an angle;
- a code is single use and valid for :data:`CODE_TTL_SECONDS` after it was issued;
- the gateway refuses a code with one of :data:`REFUSALS` (the resident may show a fresh code);
  the terminal never sends a payload that is not :func:`is_esscard_code` (a payment code shown by
  mistake stays on the terminal).
"""

from __future__ import annotations

import logging
import re
import secrets

logger = logging.getLogger(__name__)

CODE_PREFIX = "ESSC1-"
# Crockford's base 32: no I, L, O, U, so nothing is mistaken when a person reads a code aloud.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_RANDOM_CHARS = 26
CODE_RE = re.compile(rf"{re.escape(CODE_PREFIX)}[{CODE_ALPHABET}]{{{CODE_RANDOM_CHARS}}}")
CODE_TTL_SECONDS = 60
# The longest payload the gateway's API accepts at all (anything longer is a malformed request).
MAX_PAYLOAD_CHARS = 128

# The gateway's refusal codes for a code it will not accept; each means "show a fresh code".
CODE_UNKNOWN = "esscard_code_unknown"
CODE_EXPIRED = "esscard_code_expired"
CODE_USED = "esscard_code_used"
REFUSALS = frozenset({CODE_UNKNOWN, CODE_EXPIRED, CODE_USED})


def new_code() -> str:
    """A fresh random code (the caller stores only its hash)."""
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM_CHARS))


def is_esscard_code(payload: str) -> bool:
    """Is ``payload`` shaped like a 电子社保卡 code? (Says nothing about whether it is valid.)"""
    return CODE_RE.fullmatch(payload) is not None  # fullmatch: "$" would let a newline through
