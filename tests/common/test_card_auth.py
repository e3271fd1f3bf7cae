"""SM4 against the examples of GB/T 32907-2016 (Annex A), and the card-proof arithmetic built on it."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from common.card_auth import (
    KEY_CARDHOLDER,
    card_keys_from_json,
    card_keys_to_json,
    cryptogram,
    cryptogram_matches,
    derive_card_key,
    sm4_ecb_encrypt,
)

GBT_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


def test_gbt_32907_example_1() -> None:
    assert sm4_ecb_encrypt(GBT_KEY, GBT_KEY).hex() == "681edf34d206965e86b3e94f536e4246"
    decryptor = Cipher(algorithms.SM4(GBT_KEY), modes.ECB()).decryptor()
    assert decryptor.update(bytes.fromhex("681edf34d206965e86b3e94f536e4246")) + decryptor.finalize() == GBT_KEY


def test_gbt_32907_example_2_one_million_rounds() -> None:
    # The standard's second example: the plaintext encrypted 1 000 000 times under the same key.
    encryptor = Cipher(algorithms.SM4(GBT_KEY), modes.ECB()).encryptor()
    block = GBT_KEY
    for _ in range(1_000_000):
        block = encryptor.update(block)
    assert block.hex() == "595298c7c6fd271f0402f804c33d3f66"


def test_card_key_and_cryptogram() -> None:
    card_id = "320583D15600000500A1B2C3D4E5F6A7"
    master = bytes(range(16))
    key = derive_card_key(master, card_id)
    assert key == sm4_ecb_encrypt(master, bytes.fromhex(card_id))
    challenge = bytes(16)
    answer = cryptogram(key, challenge)
    assert answer == sm4_ecb_encrypt(key, challenge) and len(answer) == 16
    assert cryptogram_matches(key, challenge, answer)
    assert not cryptogram_matches(key, challenge, answer[:-1] + bytes([answer[-1] ^ 1]))
    assert not cryptogram_matches(key, challenge, answer[:8])
    # Another card (another 卡识别码) has another key.
    assert derive_card_key(master, "320583D15600000500A1B2C3D4E5F6A8") != key


def test_malformed_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        sm4_ecb_encrypt(bytes(15), bytes(16))
    with pytest.raises(ValueError):
        sm4_ecb_encrypt(bytes(16), bytes(15))
    with pytest.raises(ValueError):
        derive_card_key(bytes(16), "ABCD")
    with pytest.raises(ValueError):
        cryptogram(bytes(16), bytes(8))


def test_card_keys_json_round_trip() -> None:
    keys = {1: bytes(range(16)), KEY_CARDHOLDER: bytes(range(16, 32))}
    as_json = card_keys_to_json(keys)
    assert as_json == {"01": bytes(range(16)).hex(), "02": bytes(range(16, 32)).hex()}
    assert card_keys_from_json(as_json) == keys
    assert card_keys_from_json(None) == {}
    with pytest.raises(ValueError):
        card_keys_from_json({"01": "abcd"})
