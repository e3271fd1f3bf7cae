"""The card proof both sides compute: SM4 (GB/T 32907), per-card keys and INTERNAL AUTHENTICATE.

The profile (modelled on the 社会保障卡's internal authentication, docs/card-protocol.md):

- the card holds per-card keys; ``KEY_CARD_PRESENCE`` (01) answers once the SSSE DF is selected,
  ``KEY_CARDHOLDER`` (02) only after a VERIFY with the right PIN since the card was reset or the
  DF last selected;
- the per-card key of a key id is ``K = SM4-ECB(issuer master key of that id, 卡识别码 as 16 bytes)``;
- INTERNAL AUTHENTICATE of a 16-byte challenge answers ``SM4-ECB(K, challenge)`` (16 bytes).

The issuer master keys never leave the server (``server.card_keys``); the terminal only ever sees
challenges and cryptograms. ``derive_card_key`` is here because the card simulator, the seeding and
the key store all personalise or check cards the same way.

SM4 is OpenSSL's, through ``cryptography`` (checked against the GB/T 32907 examples in
tests/common/test_card_auth.py).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

logger = logging.getLogger(__name__)

KEY_CARD_PRESENCE = 0x01
KEY_CARDHOLDER = 0x02
KEY_IDS = (KEY_CARD_PRESENCE, KEY_CARDHOLDER)
BLOCK = 16  # SM4 block, challenge, cryptogram and key length alike
CHALLENGE_BYTES = BLOCK
CHALLENGE_TTL_SECONDS = 60


def sm4_ecb_encrypt(key: bytes, data: bytes) -> bytes:
    """SM4-ECB of ``data`` (a whole number of 16-byte blocks) under the 16-byte ``key``."""
    if len(key) != BLOCK:
        raise ValueError("an SM4 key is 16 bytes")
    if not data or len(data) % BLOCK:
        raise ValueError("SM4-ECB takes whole 16-byte blocks")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def card_id_bytes(card_id: str) -> bytes:
    """The 卡识别码 (32 hex digits, as EF05 tag 01 holds it) as the 16 bytes keys are derived from."""
    raw = bytes.fromhex(card_id)
    if len(raw) != BLOCK:
        raise ValueError("a 卡识别码 is 16 bytes (32 hex digits)")
    return raw


def derive_card_key(master_key: bytes, card_id: str) -> bytes:
    """The per-card key of one key id: SM4-ECB(master key of that id, 卡识别码)."""
    return sm4_ecb_encrypt(master_key, card_id_bytes(card_id))


def cryptogram(card_key: bytes, challenge: bytes) -> bytes:
    """What the card answers to INTERNAL AUTHENTICATE of ``challenge``: SM4-ECB(K, challenge)."""
    if len(challenge) != CHALLENGE_BYTES:
        raise ValueError("a challenge is 16 bytes")
    return sm4_ecb_encrypt(card_key, challenge)


def cryptogram_matches(card_key: bytes, challenge: bytes, answer: bytes) -> bool:
    """True when ``answer`` is the card's cryptogram of ``challenge``; compared in constant time."""
    return len(answer) == BLOCK and hmac.compare_digest(cryptogram(card_key, challenge), answer)


def card_keys_to_json(keys: Mapping[int, bytes]) -> dict[str, str]:
    """``{"01": hex, "02": hex}``: how ``python -m server seed --json`` hands a card its keys."""
    return {f"{key_id:02X}": key.hex() for key_id, key in sorted(keys.items())}


def card_keys_from_json(data: Mapping[str, str] | None) -> dict[int, bytes]:
    """Inverse of :func:`card_keys_to_json`; raises ValueError for a malformed entry."""
    keys: dict[int, bytes] = {}
    for name, value in (data or {}).items():
        key = bytes.fromhex(value)
        if len(key) != BLOCK:
            raise ValueError(f"card key {name}: 16 bytes expected")
        keys[int(name, 16)] = key
    return keys
