"""apdu.exchange: 61xx / 6Cxx on every kind of command, and the field codecs."""

from __future__ import annotations

import datetime as dt

import pytest

from drivers.card import apdu
from kiosk.errors import CardError, CardErrorKind


@pytest.mark.parametrize(
    "cmd,resend",
    [
        ("00A4040002AABB", "00A4040002AABB10"),  # case 3 (SELECT): Le appended
        ("00B2010012", "00B2010010"),  # case 2 (READ RECORD): Le replaced
        ("0020000003123456", "002000000312345610"),  # case 3 (VERIFY)
        ("00A404000211220A", "00A40400021122" + "10"),  # case 4: Le replaced
    ],
)
def test_6cxx_resends_same_command_with_card_le(scripted, cmd, resend):
    conn = scripted([(cmd, "6C10"), (resend, "00" * 16 + "9000")])
    assert apdu.exchange(conn, bytes.fromhex(cmd)) == apdu.Response(b"\0" * 16, 0x9000)


def test_61xx_chained_get_response(scripted):
    conn = scripted([("00B2010012", "6104"), ("00C0000004", "01020304" + "6102"), ("00C0000002", "0506" + "9000")])
    assert apdu.exchange(conn, bytes.fromhex("00B2010012")).data == bytes.fromhex("010203040506")


def test_get_response_answering_6cxx(scripted):
    conn = scripted([("00A4040002AABB", "6120"), ("00C0000020", "6C05"), ("00C0000005", "0102030405" + "9000")])
    assert apdu.exchange(conn, bytes.fromhex("00A4040002AABB")).data == bytes.fromhex("0102030405")


def test_61xx_with_00_means_256(scripted):
    conn = scripted([("00B2010012", "6100"), ("00C0000000", "AA" * 256 + "9000")])
    assert len(apdu.exchange(conn, bytes.fromhex("00B2010012")).data) == 256


def test_endless_chaining_is_refused(scripted):
    conn = scripted([("00B2010012", "6C12")] + [("00B2010012", "6C12")] * apdu.MAX_CHAINED_RESPONSES)
    with pytest.raises(CardError) as err:
        apdu.exchange(conn, bytes.fromhex("00B2010012"))
    assert err.value.kind is CardErrorKind.UNEXPECTED_STATUS


def test_codecs_roundtrip():
    assert apdu.decode_bcd(bytes.fromhex("110105FF"), "x") == "110105"
    assert apdu.encode_bcd("110105", 4) == bytes.fromhex("110105FF")
    assert apdu.decode_date(apdu.encode_date(dt.date(1999, 12, 31)), "x") == dt.date(1999, 12, 31)
    assert apdu.decode_text("王喆".encode("gbk") + b"\0" * 26, "x") == "王喆"
    with pytest.raises(ValueError):
        apdu.encode_text("李㛃", 30)
    with pytest.raises(CardError):
        apdu.decode_bcd(bytes.fromhex("1A"), "x")
    with pytest.raises(CardError):
        apdu.parse_record(bytes.fromhex("0105AA"), 1)
    assert apdu.build_apdu(0, 0xB2, 1, 0, le=256) == bytes.fromhex("00B2010000")
