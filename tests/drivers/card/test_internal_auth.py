"""INTERNAL AUTHENTICATE: the virtual card's answers APDU by APDU, the protocol code over the
in-process reader (T=0 and direct), and the same through the real pcscd + vpcd stack."""

from __future__ import annotations

import time

import pytest

from common.card_auth import KEY_CARD_PRESENCE, KEY_CARDHOLDER, cryptogram
from drivers.card.pcsc_reader import PcscCardReader
from drivers.card.simulated_reader import SimulatedCardReader
from drivers.card.simulator import CardProfile, VirtualSocialSecurityCard
from drivers.card.sscard import SSSE_DF_NAME, internal_authenticate, read_card, verify_pin
from drivers.factory import CardPortAdapter
from kiosk.errors import CardError, CardErrorKind
from tests.drivers.card.carddata import make_card_data

SELECT_DF = bytes.fromhex("00A404000F") + SSSE_DF_NAME
KEYS = {KEY_CARD_PRESENCE: bytes(range(16)), KEY_CARDHOLDER: bytes(range(100, 116))}
CHALLENGE = bytes.fromhex("00112233445566778899aabbccddeeff")
VERIFY_GOOD = bytes.fromhex("0020000003123456")
VERIFY_WRONG = bytes.fromhex("0020000003654321")


def vcard(t0: bool = False, keys: dict[int, bytes] | None = None) -> VirtualSocialSecurityCard:
    return VirtualSocialSecurityCard.from_card_data(
        make_card_data(), "123456", t0=t0, keys=KEYS if keys is None else keys
    )


def auth_apdu(key_id: int, challenge: bytes = CHALLENGE) -> bytes:
    return bytes((0x00, 0x88, 0x00, key_id, len(challenge))) + challenge


def sw(resp: bytes) -> str:
    return resp[-2:].hex().upper()


def test_key_01_answers_once_the_df_is_selected() -> None:
    card = vcard()
    assert sw(card.process(auth_apdu(1))) == "6A88"  # the keys live in the SSSE DF
    card.process(SELECT_DF)
    resp = card.process(auth_apdu(1))
    assert sw(resp) == "9000" and resp[:-2] == cryptogram(KEYS[1], CHALLENGE)


def test_key_02_needs_a_verified_pin_since_reset_or_select() -> None:
    card = vcard()
    card.process(SELECT_DF)
    assert sw(card.process(auth_apdu(2))) == "6982"
    assert sw(card.process(VERIFY_GOOD)) == "9000"
    resp = card.process(auth_apdu(2))
    assert resp[:-2] == cryptogram(KEYS[2], CHALLENGE) and sw(resp) == "9000"
    assert sw(card.process(bytes.fromhex("00A4020002EF05"))) == "9000"  # an EF inside the DF keeps it
    assert sw(card.process(auth_apdu(2))) == "9000"
    card.process(SELECT_DF)  # the DF selected again: its security state starts afresh
    assert sw(card.process(auth_apdu(2))) == "6982"
    card.process(VERIFY_GOOD)
    card.reset()
    card.process(SELECT_DF)
    assert sw(card.process(auth_apdu(2))) == "6982"
    card.process(VERIFY_GOOD)
    assert sw(card.process(VERIFY_WRONG)) == "63C2"  # a wrong VERIFY clears it too
    assert sw(card.process(auth_apdu(2))) == "6982"


@pytest.mark.parametrize(
    "apdu, expected",
    [
        (auth_apdu(3), "6A88"),  # a key the card does not hold
        (bytes.fromhex("00880102") + b"\x10" + CHALLENGE, "6A86"),  # P1 must be 00
        (auth_apdu(1, CHALLENGE[:8]), "6700"),  # the challenge is 16 bytes
        (bytes.fromhex("0088000110") + CHALLENGE[:8], "6700"),  # Lc longer than the data
    ],
)
def test_strict_validation(apdu: bytes, expected: str) -> None:
    card = vcard()
    card.process(SELECT_DF)
    assert sw(card.process(apdu)) == expected


def test_card_without_keys_has_none_to_use() -> None:
    card = vcard(keys={})
    card.process(SELECT_DF)
    card.process(VERIFY_GOOD)
    assert sw(card.process(auth_apdu(1))) == "6A88"
    assert sw(card.process(auth_apdu(2))) == "6A88"


def test_t0_card_offers_the_answer_with_6110() -> None:
    card = vcard(t0=True)
    card.process(SELECT_DF)
    assert sw(card.process(auth_apdu(1))) == "6110"
    resp = card.process(bytes.fromhex("00C0000010"))
    assert resp[:-2] == cryptogram(KEYS[1], CHALLENGE) and sw(resp) == "9000"


def test_profile_refuses_malformed_keys() -> None:
    data = make_card_data()
    with pytest.raises(ValueError):
        VirtualSocialSecurityCard.from_card_data(data, "123456", keys={1: bytes(8)})
    with pytest.raises(ValueError):
        VirtualSocialSecurityCard.from_card_data(data, "123456", keys={0: bytes(16)})
    profile = vcard().profile
    assert isinstance(profile, CardProfile) and KEYS[1].hex() not in repr(profile)


@pytest.mark.parametrize("t0", [True, False])
def test_protocol_through_the_card_session(t0: bool) -> None:
    reader = SimulatedCardReader()
    reader.insert(vcard(t0=t0))
    session = CardPortAdapter(reader).open_card()
    try:
        assert session.read() == make_card_data()
        assert session.authenticate(KEY_CARD_PRESENCE, CHALLENGE) == cryptogram(KEYS[1], CHALLENGE)
        with pytest.raises(CardError) as refused:
            session.authenticate(KEY_CARDHOLDER, CHALLENGE)
        assert refused.value.kind is CardErrorKind.UNEXPECTED_STATUS and refused.value.sw == 0x6982
        assert session.verify_pin("123456").ok
        assert session.authenticate(KEY_CARDHOLDER, CHALLENGE) == cryptogram(KEYS[2], CHALLENGE)
    finally:
        session.close()
    with pytest.raises(ValueError):
        internal_authenticate(reader.connect(), KEY_CARD_PRESENCE, CHALLENGE[:15])


@pytest.mark.pcscd
@pytest.mark.parametrize("t0", [True, False])
def test_internal_authenticate_through_pcscd(pcscd, bridge, t0: bool) -> None:
    reader = PcscCardReader(pcscd.reader_name_pattern)
    bridge.insert(vcard(t0=t0))
    deadline = time.monotonic() + 3
    while not reader.card_present():
        if time.monotonic() > deadline:
            pytest.fail("the card never showed up in pcscd")
        time.sleep(0.01)
    with reader.connect() as conn:
        read_card(conn)
        assert internal_authenticate(conn, KEY_CARD_PRESENCE, CHALLENGE) == cryptogram(KEYS[1], CHALLENGE)
        assert verify_pin(conn, "123456").ok
        assert internal_authenticate(conn, KEY_CARDHOLDER, CHALLENGE) == cryptogram(KEYS[2], CHALLENGE)
        assert verify_pin(conn, "123456").ok  # select=True: the DF selected again, then verified
        assert not verify_pin(conn, "000000", select=False).ok  # a wrong PIN ends the cardholder state
        with pytest.raises(CardError) as refused:
            internal_authenticate(conn, KEY_CARDHOLDER, CHALLENGE)
        assert refused.value.sw == 0x6982
