"""The 社会保障卡 protocol (LD/T 32) over any CardConnection.

Public API:
- ``read_card(conn) -> CardData``: SELECT the SSSE DF by name, SELECT EF05, read its records by
  tag, SELECT EF06, read its records, decode and validate (SSN check digit, dates, codes).
- ``verify_pin(conn, pin) -> PinResult``: VERIFY ``00 20 00 00 03 <6 digits BCD>``.
- ``change_pin(conn, old, new) -> PinResult``: CHANGE PIN ``80 5E 01 00 07 <old BCD> FF <new BCD>``
  (new PINs that kiosk.pin_policy refuses never reach the card).
- ``internal_authenticate(conn, key_id, challenge) -> bytes``: INTERNAL AUTHENTICATE
  ``00 88 00 <key id> 10 <challenge>``, the card's proof for the gateway (common.card_auth).

The kiosk.ports adapters over this protocol are ``drivers.factory.CardPortAdapter`` /
``CardSessionAdapter``.

Records are read with ``00 B2 <tag> 00 <Le>``.  Le is the standard field length + 2 (tag, len);
cards whose record is longer or shorter (older spec versions, F-padded codes) answer 6Cxx or a
short record, which apdu.exchange/parse_record absorb, so 1.00, 2.00 and 3.00 cards all read.
The ATR is never looked at: a card is a 社保卡 when its SSSE DF can be selected.
"""

from __future__ import annotations

import datetime as dt
import logging

from common.card_auth import BLOCK, CHALLENGE_BYTES
from common.ssn import InvalidSSN, mask_ssn, validate_ssn
from drivers.card.apdu import (
    Response,
    build_apdu,
    decode_ascii,
    decode_bcd,
    decode_date,
    decode_text,
    exchange,
    parse_record,
)
from drivers.card.base import CardConnection
from kiosk.errors import CardError, CardErrorKind
from kiosk.models import CardData, PinResult
from kiosk.pin_policy import is_pin_format, pin_refusal

logger = logging.getLogger(__name__)

# "sx1.sh." + GBK "社会保障"
SSSE_DF_NAME = b"sx1.sh." + "社会保障".encode("gbk")
EF05 = b"\xef\x05"
EF06 = b"\xef\x06"

# tag -> standard value length (LD/T 32); used for Le only, parsing follows the card's TLV length.
EF05_FIELDS: dict[int, int] = {0x01: 16, 0x02: 1, 0x03: 4, 0x05: 4, 0x06: 4, 0x07: 9}
EF06_FIELDS: dict[int, int] = {0x08: 18, 0x09: 30, 0x0A: 1, 0x0B: 1, 0x0C: 3, 0x0D: 4}

# SELECT answers meaning "no such application here": the card is something else (bank card, ...).
_NOT_SSCARD_SW = {0x6A82, 0x6A81, 0x6D00, 0x6E00, 0x6A86}


def select_ssse(conn: CardConnection) -> None:
    """SELECT the SSSE DF by name; NOT_SOCIAL_SECURITY_CARD when the card has no such DF."""
    resp = exchange(conn, build_apdu(0x00, 0xA4, 0x04, 0x00, SSSE_DF_NAME))
    if resp.ok:
        return
    if resp.sw in _NOT_SSCARD_SW:
        raise CardError(CardErrorKind.NOT_SOCIAL_SECURITY_CARD, f"SELECT SSSE answered {resp.sw:04X}", sw=resp.sw)
    raise _unexpected("SELECT SSSE", resp)


def _select_ef(conn: CardConnection, fid: bytes) -> None:
    resp = exchange(conn, build_apdu(0x00, 0xA4, 0x02, 0x00, fid))
    if resp.ok:
        return
    if resp.sw in (0x6A82, 0x6A81):
        raise CardError(CardErrorKind.BAD_DATA, f"EF {fid.hex().upper()} missing ({resp.sw:04X})", sw=resp.sw)
    raise _unexpected(f"SELECT EF {fid.hex().upper()}", resp)


def _read_tag(conn: CardConnection, tag: int, length: int) -> bytes:
    resp = exchange(conn, build_apdu(0x00, 0xB2, tag, 0x00, le=length + 2))
    if resp.ok:
        return parse_record(resp.data, tag)
    if resp.sw in (0x6A83, 0x6A82, 0x6B00):
        raise CardError(CardErrorKind.BAD_DATA, f"record {tag:02X} missing ({resp.sw:04X})", sw=resp.sw)
    raise _unexpected(f"READ RECORD {tag:02X}", resp)


def _unexpected(what: str, resp: Response) -> CardError:
    return CardError(CardErrorKind.UNEXPECTED_STATUS, f"{what} answered {resp.sw:04X}", sw=resp.sw)


def _read_ef(conn: CardConnection, fid: bytes, fields: dict[int, int]) -> dict[int, bytes]:
    _select_ef(conn, fid)
    return {tag: _read_tag(conn, tag, length) for tag, length in fields.items()}


def read_card(conn: CardConnection) -> CardData:
    """Read and validate EF05 + EF06. Raises CardError (never returns partial data)."""
    select_ssse(conn)
    ef05 = _read_ef(conn, EF05, EF05_FIELDS)
    ef06 = _read_ef(conn, EF06, EF06_FIELDS)
    card = _decode(ef05, ef06)
    logger.info("read 社保卡 %s (spec %s)", card.masked(), card.spec_version)
    return card


def _decode(ef05: dict[int, bytes], ef06: dict[int, bytes]) -> CardData:
    card_id = ef05[0x01].hex().upper()
    if len(card_id) != 32 or not card_id[:6].isdigit():
        raise CardError(CardErrorKind.BAD_DATA, "卡识别码 is not 16 bytes starting with a region code")
    raw_ssn = decode_ascii(ef06[0x08], "社会保障号码")
    try:
        ssn = validate_ssn(raw_ssn)
    except InvalidSSN as exc:
        raise CardError(CardErrorKind.BAD_DATA, f"社会保障号码 {mask_ssn(raw_ssn)} invalid: {exc}") from exc
    gender = decode_ascii(ef06[0x0A], "性别")
    if gender not in ("1", "2"):
        raise CardError(CardErrorKind.BAD_DATA, "性别 code is not 1 or 2")
    ethnicity = decode_bcd(ef06[0x0B], "民族").zfill(2)
    birth_place = decode_bcd(ef06[0x0C], "出生地")
    if len(birth_place) != 6:
        raise CardError(CardErrorKind.BAD_DATA, f"出生地 has {len(birth_place)} digits, expected 6")
    card_number = decode_ascii(ef05[0x07], "卡号")
    if len(card_number) != 9:
        raise CardError(CardErrorKind.BAD_DATA, f"卡号 has {len(card_number)} characters, expected 9")
    name = decode_text(ef06[0x09], "姓名")
    if not name:
        raise CardError(CardErrorKind.BAD_DATA, "姓名 is empty")
    return CardData(
        ssn=ssn,
        name=name,
        gender=gender,
        ethnicity=ethnicity,
        birth_date=decode_date(ef06[0x0D], "出生日期"),
        birth_place=birth_place,
        card_number=card_number,
        card_id=card_id,
        issuing_region=card_id[:6],
        card_type=decode_ascii(ef05[0x02], "卡类别"),
        spec_version=decode_ascii(ef05[0x03], "规范版本"),
        issued_on=decode_date(ef05[0x05], "发卡日期"),
        expires_on=decode_date(ef05[0x06], "卡有效期"),
    )


def verify_pin(conn: CardConnection, pin: str, *, select: bool = True) -> PinResult:
    """VERIFY the resident's PIN. The PIN is never logged and the APDU buffer is wiped after use.

    ``select`` first selects the SSSE DF (the PIN lives there); pass False right after read_card.
    """
    if not isinstance(pin, str) or len(pin) != 6 or not pin.isascii() or not pin.isdigit():
        raise CardError(CardErrorKind.PIN_FORMAT, "PIN must be exactly 6 digits")
    if select:
        select_ssse(conn)
    apdu = bytearray(b"\x00\x20\x00\x00\x03")
    apdu += bytes.fromhex(pin)
    try:
        resp = exchange(conn, bytes(apdu))
    finally:
        # Why: best effort so the PIN does not linger in our own buffer (bytes copies are immutable).
        apdu[5:] = b"\x00\x00\x00"
    return _pin_result(resp, "VERIFY")


def _pin_result(resp: Response, what: str) -> PinResult:
    """9000 / 63Cx / 6983 of VERIFY and CHANGE PIN as a PinResult; anything else UNEXPECTED_STATUS."""
    if resp.ok:
        return PinResult(ok=True, tries_left=None, blocked=False)
    if resp.sw >> 4 == 0x63C:
        tries = resp.sw & 0x0F
        logger.info("%s: wrong PIN, %d tries left", what, tries)
        return PinResult(ok=False, tries_left=tries, blocked=tries == 0)
    if resp.sw in (0x6983, 0x6984):
        logger.info("%s: PIN blocked (%04X)", what, resp.sw)
        return PinResult(ok=False, tries_left=0, blocked=True)
    raise _unexpected(what, resp)


def change_pin(
    conn: CardConnection, old_pin: str, new_pin: str, *, birth_date: dt.date | None = None, select: bool = True
) -> PinResult:
    """CHANGE PIN on the card itself: ``80 5E 01 00 07 <old BCD> FF <new BCD>``.

    Both PINs are checked before any APDU (a typo never costs a try): PIN_FORMAT unless both are
    6 digits, PIN_TRIVIAL for a new PIN that kiosk.pin_policy refuses (runs, one digit repeated,
    ``birth_date``'s digits when given). The answer reads like VERIFY's: ok, ``tries_left`` after a
    wrong old PIN (63Cx), blocked (6983). Neither PIN is logged; the APDU buffer is wiped after use.
    ``select`` first selects the SSSE DF (the PIN lives there); pass False right after read_card.
    """
    if not is_pin_format(old_pin) or not is_pin_format(new_pin):
        raise CardError(CardErrorKind.PIN_FORMAT, "PINs must be exactly 6 digits")
    if pin_refusal(new_pin, birth_date) is not None:
        raise CardError(CardErrorKind.PIN_TRIVIAL, "new PIN refused as too easy to guess (not sent)")
    if select:
        select_ssse(conn)
    apdu = bytearray(b"\x80\x5e\x01\x00\x07")
    apdu += bytes.fromhex(old_pin) + b"\xff" + bytes.fromhex(new_pin)
    try:
        resp = exchange(conn, bytes(apdu))
    finally:
        apdu[5:] = bytes(7)  # best effort, as in verify_pin
    result = _pin_result(resp, "CHANGE PIN")
    if result.ok:
        logger.info("PIN changed on the card")
    return result


def internal_authenticate(conn: CardConnection, key_id: int, challenge: bytes) -> bytes:
    """The card's 16-byte cryptogram of ``challenge`` under its key ``key_id`` (INTERNAL AUTHENTICATE).

    Sends no SELECT: selecting the SSSE DF again would clear the PIN state that key 02 needs, so
    call it on the connection that ran ``read_card`` (key 01) or a good ``verify_pin`` (key 02).
    Raises CardError: UNEXPECTED_STATUS with the card's SW (6982: key 02 without a verified PIN,
    6A88: no such key), BAD_DATA for an answer that is not 16 bytes; ValueError for a challenge
    that is not 16 bytes or a key id outside 01-FF (the caller's mistake, not the card's).
    """
    if len(challenge) != CHALLENGE_BYTES or not 0 < key_id < 256:
        raise ValueError("INTERNAL AUTHENTICATE takes a 16-byte challenge and a key id 01-FF")
    resp = exchange(conn, build_apdu(0x00, 0x88, 0x00, key_id, bytes(challenge)))
    if not resp.ok:
        raise _unexpected(f"INTERNAL AUTHENTICATE key {key_id:02X}", resp)
    if len(resp.data) != BLOCK:
        raise CardError(CardErrorKind.BAD_DATA, f"INTERNAL AUTHENTICATE answered {len(resp.data)} bytes, not 16")
    return resp.data
