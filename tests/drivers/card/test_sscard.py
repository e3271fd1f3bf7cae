"""read_card / verify_pin against exact scripted APDU exchanges (hand-built, not from the simulator)."""

from __future__ import annotations

import datetime as dt

import pytest

from common.ssn import make_ssn
from drivers.card.sscard import read_card, verify_pin
from kiosk.errors import CardError, CardErrorKind
from kiosk.models import PinResult

SELECT_DF = "00A404000F" + "73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF"
SELECT_EF05 = "00 A4 02 00 02 EF 05"
SELECT_EF06 = "00 A4 02 00 02 EF 06"
SSN = make_ssn("330106", dt.date(1985, 3, 12), 123)
FCI = "6F 11 84 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF"


def rec(tag: int, value: bytes) -> str:
    return (bytes((tag, len(value))) + value).hex()


def ef05(version: str = "3.00") -> list[tuple[str, str]]:
    return [
        ("00B2010012", rec(1, bytes.fromhex("33010086000000123456789ABCDEF012")) + "9000"),
        ("00B2020003", rec(2, b"3") + "9000"),
        ("00B2030006", rec(3, version.encode()) + "9000"),
        ("00B2050006", rec(5, bytes.fromhex("20210630")) + "9000"),
        ("00B2060006", rec(6, bytes.fromhex("20310630")) + "9000"),
        ("00B207000B", rec(7, b"A12345678") + "9000"),
    ]


def ef06(name: bytes = "王喆".encode("gbk"), ssn: str = SSN, place: bytes = bytes.fromhex("330106")) -> list:
    return [
        ("00B2080014", rec(8, ssn.encode()) + "9000"),
        ("00B2090020", rec(9, name.ljust(30, b"\0")) + "9000"),
        ("00B20A0003", rec(0x0A, b"1") + "9000"),
        ("00B20B0003", rec(0x0B, b"\x01") + "9000"),
        ("00B20C0005", rec(0x0C, place) + "9000"),
        ("00B20D0006", rec(0x0D, bytes.fromhex("19850312")) + "9000"),
    ]


def direct_script(version: str = "3.00", **kw: object) -> list:
    return [(SELECT_DF, "9000"), (SELECT_EF05, "9000"), *ef05(version), (SELECT_EF06, "9000"), *ef06(**kw)]


def check(card, version: str = "3.00", name: str = "王喆") -> None:
    assert card.to_json() == {
        "ssn": SSN,
        "name": name,
        "gender": "1",
        "ethnicity": "01",
        "birth_date": "1985-03-12",
        "birth_place": "330106",
        "card_number": "A12345678",
        "card_id": "33010086000000123456789ABCDEF012",
        "issuing_region": "330100",
        "card_type": "3",
        "spec_version": version,
        "issued_on": "2021-06-30",
        "expires_on": "2031-06-30",
    }


@pytest.mark.parametrize("version", ["1.00", "2.00", "3.00"])
def test_read_direct_card_of_each_spec_version(scripted, version):
    check(read_card(scripted(direct_script(version))), version)


def test_read_t0_card_answering_61xx_on_every_command(scripted):
    script = []
    for cmd, resp in direct_script():
        data = resp[:-4]
        if cmd.startswith("00A4"):
            data = FCI.replace(" ", "") if cmd.startswith("00A404") else "6204 8302" + cmd[-4:]
        n = len(bytes.fromhex(data.replace(" ", "")))
        script += [(cmd, f"61{n:02X}"), (f"00C00000{n:02X}", data + "9000")]
    check(read_card(scripted(script)))


def test_read_v1_card_answers_6Cxx_where_its_records_differ(scripted):
    """A 1.00 card: 出生地 F-padded in 4 bytes, 姓名 in 20 bytes; those READs answer 6Cxx first."""
    name20 = "王喆".encode("gbk").ljust(20, b"\0")
    script = [(SELECT_DF, "9000"), (SELECT_EF05, "9000"), *ef05("1.00"), (SELECT_EF06, "9000")]
    for cmd, resp in ef06(place=bytes.fromhex("330106FF")):
        if cmd.startswith("00B209"):
            script += [(cmd, "6C16"), ("00B2090016", rec(9, name20) + "9000")]
        elif cmd.startswith("00B20C"):
            script += [(cmd, "6C06"), ("00B20C0006", resp)]
        else:
            script.append((cmd, resp))
    card = read_card(scripted(script))
    assert card.birth_place == "330106" and card.name == "王喆" and card.spec_version == "1.00"


def test_read_gb18030_name_outside_gbk_survives(scripted):
    name = "李㛃".encode("gb18030")
    assert len(name) == 6  # 㛃 is a four-byte GB 18030 sequence: no GBK card can personalise it
    card = read_card(scripted(direct_script(name=name)))
    assert card.name == "李㛃"


def test_rare_gbk_names(scripted):
    for text in ("张堃", "刘甦"):
        card = read_card(scripted(direct_script(name=text.encode("gbk"))))
        assert card.name == text


@pytest.mark.parametrize("sw", ["6A82", "6A81", "6D00", "6E00"])
def test_not_a_social_security_card(scripted, sw):
    with pytest.raises(CardError) as err:
        read_card(scripted([(SELECT_DF, sw)]))
    assert err.value.kind is CardErrorKind.NOT_SOCIAL_SECURITY_CARD
    assert err.value.message_key == "card.not_sscard"


def test_unknown_status_is_typed(scripted):
    with pytest.raises(CardError) as err:
        read_card(scripted([(SELECT_DF, "9000"), (SELECT_EF05, "6F00")]))
    assert err.value.kind is CardErrorKind.UNEXPECTED_STATUS and err.value.sw == 0x6F00


def test_removal_mid_read(scripted):
    script = direct_script()[:5] + [(direct_script()[5][0], CardError(CardErrorKind.REMOVED, "pulled"))]
    with pytest.raises(CardError) as err:
        read_card(scripted(script))
    assert err.value.kind is CardErrorKind.REMOVED


def test_mute_card(scripted):
    with pytest.raises(CardError) as err:
        read_card(scripted([(SELECT_DF, CardError(CardErrorKind.MUTE, "timeout"))]))
    assert err.value.kind is CardErrorKind.MUTE


def test_garbage_answer_is_mute(scripted):
    with pytest.raises(CardError) as err:
        read_card(scripted([(SELECT_DF, "6F")]))
    assert err.value.kind is CardErrorKind.MUTE


def test_bad_ssn_check_digit(scripted, caplog):
    bad = SSN[:17] + ("0" if SSN[17] != "0" else "1")
    with pytest.raises(CardError) as err:
        read_card(scripted(direct_script(ssn=bad)))
    assert err.value.kind is CardErrorKind.BAD_DATA
    assert bad not in str(err.value.detail) and bad not in caplog.text


def test_wrong_tag_in_record_is_bad_data(scripted):
    script = direct_script()
    script[2] = (script[2][0], rec(2, b"3") + "9000")
    with pytest.raises(CardError) as err:
        read_card(scripted(script[:3]))
    assert err.value.kind is CardErrorKind.BAD_DATA


def test_bad_bcd_date_is_bad_data(scripted):
    script = direct_script()
    script[5] = (script[5][0], rec(5, bytes.fromhex("20211332")) + "9000")
    with pytest.raises(CardError) as err:
        read_card(scripted(script))
    assert err.value.kind is CardErrorKind.BAD_DATA


VERIFY = "00 20 00 00 03 12 34 56"


def test_pin_ok(scripted, caplog):
    caplog.set_level("DEBUG")
    assert verify_pin(scripted([(SELECT_DF, "9000"), (VERIFY, "9000")]), "123456") == PinResult(True, None, False)
    assert "123456" not in caplog.text


def test_pin_wrong_two_left(scripted):
    assert verify_pin(scripted([(VERIFY, "63C2")]), "123456", select=False) == PinResult(False, 2, False)


def test_pin_blocked(scripted):
    assert verify_pin(scripted([(VERIFY, "6983")]), "123456", select=False) == PinResult(False, 0, True)


def test_pin_t0_61xx_and_6cxx(scripted):
    script = [
        (SELECT_DF, "6113"),
        ("00C0000013", FCI.replace(" ", "") + "9000"),
        (VERIFY, "6C00"),
        (VERIFY + "00", "9000"),
    ]
    assert verify_pin(scripted(script), "123456").ok


@pytest.mark.parametrize("pin", ["12345", "1234567", "12a456", "", "１２３４５６", None])
def test_pin_format_refused_before_any_apdu(scripted, pin):
    with pytest.raises(CardError) as err:
        verify_pin(scripted([]), pin)
    assert err.value.kind is CardErrorKind.PIN_FORMAT


def test_pin_unknown_status(scripted):
    with pytest.raises(CardError) as err:
        verify_pin(scripted([(VERIFY, "6A88")]), "123456", select=False)
    assert err.value.kind is CardErrorKind.UNEXPECTED_STATUS
