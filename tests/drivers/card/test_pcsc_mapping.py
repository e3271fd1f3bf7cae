"""PcscCardReader's reader choice and PC/SC code → CardErrorKind mapping (no pcscd needed)."""

from __future__ import annotations

import pytest
from smartcard import scard

from drivers.card.pcsc_reader import PcscCardReader, _error
from kiosk.errors import CardError, CardErrorKind

NAMES = ["Generic USB Reader 00 00", "Renshe Virtual PCD 00 00", "Renshe Virtual PCD 00 01"]


@pytest.mark.parametrize(
    "pattern,expected",
    [
        ("", NAMES[0]),
        ("Renshe Virtual PCD 00 01", NAMES[2]),  # exact name wins over a regex reading
        ("renshe virtual", NAMES[1]),  # case-insensitive, first match
        (r"PCD 00 0[1-9]$", NAMES[2]),
    ],
)
def test_reader_choice(pattern, expected):
    assert PcscCardReader(pattern)._pick(NAMES) == expected


def test_reader_choice_errors():
    for names, pattern in (([], ""), (NAMES, "^Nope$")):
        with pytest.raises(CardError) as err:
            PcscCardReader(pattern)._pick(names)
        assert err.value.kind is CardErrorKind.NO_READER


@pytest.mark.parametrize(
    "code,kind",
    [
        (scard.SCARD_E_NO_SERVICE, CardErrorKind.SERVICE),
        (scard.SCARD_E_SERVICE_STOPPED, CardErrorKind.SERVICE),
        (scard.SCARD_E_UNKNOWN_READER, CardErrorKind.NO_READER),
        (scard.SCARD_E_READER_UNAVAILABLE, CardErrorKind.NO_READER),
        (scard.SCARD_E_NO_SMARTCARD, CardErrorKind.NO_CARD),
        (scard.SCARD_W_REMOVED_CARD, CardErrorKind.NO_CARD),
        (scard.SCARD_W_UNRESPONSIVE_CARD, CardErrorKind.MUTE),
        (scard.SCARD_E_TIMEOUT, CardErrorKind.MUTE),
        (scard.SCARD_E_SHARING_VIOLATION, CardErrorKind.UNEXPECTED_STATUS),
    ],
)
def test_error_mapping(code, kind):
    err = _error(code, "Connect", CardErrorKind.UNEXPECTED_STATUS)
    assert err.kind is kind and err.message_key == f"card.{kind.value}" and "0x" in err.detail
