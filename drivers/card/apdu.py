"""APDU transport rules (ISO 7816-3/-4, T=0 quirks) and the field codecs of the 社保卡.

``exchange()`` is the one place every command goes through.  It handles, on EVERY command:
- ``61xx``: more response data waits; fetch it with GET RESPONSE ``00 C0 00 00 xx`` (repeatedly);
- ``6Cxx``: wrong Le; resend the same command with Le = xx.
so the protocol code above never sees those status words.

The codecs (BCD dates, F-padded BCD codes, 00-padded GBK text, TLV records) are pure functions;
the simulator uses the encoders, the reader the decoders.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from drivers.card.base import CardConnection
from kiosk.errors import CardError, CardErrorKind

logger = logging.getLogger(__name__)

SW_OK = 0x9000
# A card that keeps answering 61xx/6Cxx forever must not hang the kiosk.
MAX_CHAINED_RESPONSES = 16


@dataclass(frozen=True)
class Response:
    """A response APDU split into data and status word."""

    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK


def build_apdu(cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> bytes:
    """A short APDU: header, optional Lc+data, optional Le (256 is sent as 00)."""
    out = bytearray((cla, ins, p1, p2))
    if data:
        if len(data) > 255:
            raise ValueError("short APDUs carry at most 255 data bytes")
        out.append(len(data))
        out += data
    if le is not None:
        if not 0 < le <= 256:
            raise ValueError("Le must be 1..256")
        out.append(le & 0xFF)
    return bytes(out)


def split_response(raw: bytes) -> Response:
    """Split data and SW; fewer than 2 bytes means the card did not answer properly (MUTE)."""
    if len(raw) < 2:
        raise CardError(CardErrorKind.MUTE, f"response of {len(raw)} byte(s), no status word")
    return Response(bytes(raw[:-2]), (raw[-2] << 8) | raw[-1])


def _with_le(apdu: bytes, le: int) -> bytes:
    """The same command with its Le replaced (or appended for a case-1/3 command)."""
    header = apdu[:4]
    if len(apdu) <= 4:
        return header + bytes((le,))
    if len(apdu) == 5:  # case 2: header + Le
        return header + bytes((le,))
    lc = apdu[4]
    body = apdu[5 : 5 + lc]
    return header + bytes((lc,)) + body + bytes((le,))


def exchange(conn: CardConnection, apdu: bytes) -> Response:
    """Send ``apdu`` and return the final response after 61xx/6Cxx handling."""
    command = bytes(apdu)
    resp = split_response(conn.transmit(command))
    for _ in range(MAX_CHAINED_RESPONSES):
        sw1, sw2 = resp.sw >> 8, resp.sw & 0xFF
        if sw1 == 0x6C:
            # Wrong Le: the card tells the right one; resend the very same command with it.
            command = _with_le(command, sw2)
            resp = split_response(conn.transmit(command))
            continue
        if sw1 == 0x61:
            collected = bytearray(resp.data)
            get = split_response(conn.transmit(build_apdu(0x00, 0xC0, 0x00, 0x00, le=sw2 or 256)))
            while get.sw >> 8 == 0x6C:
                # T=0 cards may also answer GET RESPONSE with 6Cxx when xx was too large.
                get = split_response(conn.transmit(build_apdu(0x00, 0xC0, 0x00, 0x00, le=(get.sw & 0xFF) or 256)))
            collected += get.data
            resp = Response(bytes(collected), get.sw)
            continue
        return resp
    raise CardError(CardErrorKind.UNEXPECTED_STATUS, "card keeps chaining 61xx/6Cxx", sw=resp.sw)


# --- TLV records -------------------------------------------------------------------------------


def parse_record(data: bytes, tag: int) -> bytes:
    """Value of a READ RECORD answer ``tag len value``; BAD_DATA if tag or length disagree."""
    if len(data) < 2:
        raise CardError(CardErrorKind.BAD_DATA, f"record {tag:02X}: {len(data)} bytes, no TLV header")
    if data[0] != tag:
        raise CardError(CardErrorKind.BAD_DATA, f"record {tag:02X}: card answered tag {data[0]:02X}")
    length = data[1]
    if length > len(data) - 2:
        raise CardError(CardErrorKind.BAD_DATA, f"record {tag:02X}: length {length} > {len(data) - 2} bytes")
    return bytes(data[2 : 2 + length])


def encode_record(tag: int, value: bytes) -> bytes:
    if len(value) > 255:
        raise ValueError("record value too long")
    return bytes((tag, len(value))) + value


# --- field codecs ------------------------------------------------------------------------------


def decode_bcd(value: bytes, field: str) -> str:
    """Packed BCD digits; trailing F nibbles are padding. Any other non-digit nibble → BAD_DATA."""
    digits = value.hex().upper().rstrip("F")
    if not digits.isdigit():
        raise CardError(CardErrorKind.BAD_DATA, f"{field}: not BCD ({value.hex()})")
    return digits


def encode_bcd(digits: str, length: int) -> bytes:
    """Pack digits, padding with F nibbles to ``length`` bytes."""
    if not digits.isdigit() or len(digits) > 2 * length:
        raise ValueError(f"cannot pack {digits!r} into {length} BCD bytes")
    return bytes.fromhex(digits.ljust(2 * length, "F"))


def decode_date(value: bytes, field: str) -> dt.date:
    digits = decode_bcd(value, field)
    if len(digits) != 8:
        raise CardError(CardErrorKind.BAD_DATA, f"{field}: date needs 8 digits, got {len(digits)}")
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError as exc:
        raise CardError(CardErrorKind.BAD_DATA, f"{field}: not a real date") from exc


def encode_date(value: dt.date) -> bytes:
    return encode_bcd(f"{value:%Y%m%d}", 4)


def decode_text(value: bytes, field: str) -> str:
    """00-padded (or space-padded) GBK text.

    Decoded with GB 18030, a superset of GBK, so that a card personalised with GB 18030
    four-byte sequences (rare characters outside GBK) still reads instead of failing.
    """
    raw = value.split(b"\x00", 1)[0].rstrip(b" ")
    try:
        return raw.decode("gb18030").strip()
    except UnicodeDecodeError as exc:
        raise CardError(CardErrorKind.BAD_DATA, f"{field}: not GBK/GB 18030 text") from exc


def encode_text(text: str, length: int, encoding: str = "gbk") -> bytes:
    """Encode and 00-pad. GBK per the card spec: characters outside GBK raise ValueError."""
    raw = text.encode(encoding)
    if len(raw) > length:
        raise ValueError(f"text needs {len(raw)} bytes, field holds {length}")
    return raw.ljust(length, b"\x00")


def decode_ascii(value: bytes, field: str) -> str:
    raw = value.split(b"\x00", 1)[0].rstrip(b" ")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise CardError(CardErrorKind.BAD_DATA, f"{field}: not ASCII") from exc
    if not text.isprintable():
        raise CardError(CardErrorKind.BAD_DATA, f"{field}: control characters")
    return text
