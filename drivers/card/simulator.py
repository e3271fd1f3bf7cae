"""Virtual cards that answer the real APDUs, for the simulated reader, vpcd and the demo dock.

- ``VirtualSocialSecurityCard``: a 社保卡 built from a ``CardProfile`` (or ``from_card_data``),
  answering SELECT / READ RECORD / VERIFY / CHANGE PIN / INTERNAL AUTHENTICATE / GET RESPONSE like a card
  would, either as a T=0 card (``61xx`` then GET RESPONSE, ``6Cxx`` for a wrong Le) or directly
  (data + 9000).
- ``NonSocialSecurityCard``: e.g. a bank card; SELECT of the SSSE DF answers ``6A82``.
- ``BrokenCard``: answers garbage (less than a status word) or nothing at all.

Faults (``CardFaults``) are scripted on any card: ``remove_after_apdus`` (the card is pulled
while the next APDU is in flight → ``CardPulled``), ``mute`` (APDUs get no answer → ``CardMute``;
the ATR still comes after a reset, like a card that hangs mid-session),
``status_override`` (command prefix → status word), ``pin_blocked``.

Commands are validated strictly like a real card: CLA ≠ 00 → 6E00 (but 80 for CHANGE PIN), unknown INS → 6D00,
bad P1/P2 → 6A86, Lc not matching the data → 6700, READ RECORD without a current EF → 6986.

INTERNAL AUTHENTICATE ``00 88 00 <key id> 10 <challenge>`` answers SM4-ECB(K, challenge) with the
card's own key K of that id (``CardProfile.keys``, common.card_auth): 6A88 before the SSSE DF is
selected or for a key the card does not hold, 6982 for key 02 unless a VERIFY with the right PIN
succeeded since the last reset or SELECT of the DF (a wrong VERIFY clears it too).

Encoding limits (documented): 姓名 is stored GBK as the spec says, so a name with a character
outside GBK (e.g. 李㛃, U+36C3) cannot be personalised: ``CardProfile`` refuses it (ValueError).
Rare characters inside GBK (喆, 堃, 甦) work.  Spec-version differences simulated: 1.00 cards
store 出生地 F-padded in 4 bytes (``110105FF``) instead of 3; the reader copes via 6Cxx + TLV.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from common.card_auth import BLOCK, KEY_CARDHOLDER, cryptogram
from common.ssn import mask_ssn
from drivers.card.apdu import encode_bcd, encode_date, encode_record, encode_text
from drivers.card.sim_change_pin import CLA_PROPRIETARY, INS_CHANGE_PIN, change_pin_status
from drivers.card.sscard import SSSE_DF_NAME
from kiosk.models import CardData

logger = logging.getLogger(__name__)

SPEC_VERSIONS = ("1.00", "2.00", "3.00")
# TS=3B, T0=6C (TB1, TC1 present, 12 historical bytes), T=0 implicit. Never used to recognise a card.
SSCARD_ATR = bytes.fromhex("3B6C0000") + b"RENSHE-SSC30"
BANK_CARD_ATR = bytes.fromhex("3B6800000073C84013009000")


class CardPulled(Exception):
    """The card left the reader while an APDU was in flight (transports turn it into REMOVED)."""


class CardMute(Exception):
    """The card does not answer (transports turn it into MUTE / a reader timeout)."""


@dataclass
class CardFaults:
    """Scriptable faults; mutate at any time (the demo dock and tests do)."""

    remove_after_apdus: int | None = None
    mute: bool = False
    status_override: dict[bytes, int] = field(default_factory=dict)
    pin_blocked: bool = False


def _sw(sw: int) -> bytes:
    return bytes((sw >> 8, sw & 0xFF))


class VirtualCard:
    """Base: power state, APDU counting and the generic faults. Subclasses implement ``_answer``."""

    # (CLA, INS) pairs answered besides CLA 00 (e.g. the 社保卡's CHANGE PIN 80 5E).
    PROPRIETARY: frozenset[tuple[int, int]] = frozenset()

    def __init__(self, faults: CardFaults | None = None, atr: bytes = SSCARD_ATR) -> None:
        self.faults = faults or CardFaults()
        self._atr = atr
        self._lock = threading.Lock()
        self.powered = False
        self.apdu_count = 0
        self.dead = False  # gives no ATR at all (a damaged chip); faults.mute only silences APDUs

    def atr(self) -> bytes:
        if self.dead:
            raise CardMute("no ATR")
        return self._atr

    def power_on(self) -> bytes:
        self.powered = True
        self._on_reset()
        return self.atr()

    def power_off(self) -> None:
        self.powered = False

    def reset(self) -> bytes:
        return self.power_on()

    def _on_reset(self) -> None:
        """Forget the selected files etc. (a reset loses all volatile state)."""

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU with data + SW. Raises CardPulled / CardMute for faults."""
        with self._lock:
            limit = self.faults.remove_after_apdus
            if limit is not None and self.apdu_count >= limit:
                raise CardPulled(f"card pulled after {self.apdu_count} APDUs")
            self.apdu_count += 1
            if self.faults.mute:
                raise CardMute("card does not answer")
            if not self.powered:
                self.power_on()
            for prefix, sw in self.faults.status_override.items():
                if bytes(apdu).startswith(prefix):
                    return _sw(sw)
            if len(apdu) < 4:
                return _sw(0x6700)
            if apdu[0] != 0x00 and (apdu[0], apdu[1]) not in self.PROPRIETARY:
                return _sw(0x6E00)
            return self._answer(bytes(apdu))

    def _answer(self, apdu: bytes) -> bytes:
        return _sw(0x6D00)


@runtime_checkable
class CardSlot(Protocol):
    """Something the demo dock can put a virtual card into or pull it out of.

    Implemented by SimulatedCardReader (in-process) and VpcdCardBridge (through real pcscd). It
    lives beside VirtualCard, not in ``base``, so imports run one way: simulator → sscard → apdu
    → base (``base`` naming VirtualCard, even for type checking only, closed a circle).
    """

    @property
    def inserted_card(self) -> VirtualCard | None: ...

    def insert(self, card: VirtualCard) -> None: ...

    def remove(self) -> None: ...


@dataclass
class CardProfile:
    """Everything personalised on a virtual 社保卡. ``t0`` makes it answer like a T=0 card."""

    ssn: str
    name: str
    gender: str
    ethnicity: str
    birth_date: dt.date
    birth_place: str
    card_number: str
    card_id: str
    card_type: str = "3"
    spec_version: str = "3.00"
    issued_on: dt.date = dt.date(2020, 1, 1)
    expires_on: dt.date = dt.date(2030, 1, 1)
    pin: str = "123456"
    pin_tries: int = 3
    t0: bool = False
    # key id -> the card's own 16-byte key (personalised by the issuer; none: INTERNAL AUTHENTICATE
    # answers 6A88, like a card whose keys were never loaded).
    keys: dict[int, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.spec_version not in SPEC_VERSIONS:
            raise ValueError(f"spec_version must be one of {SPEC_VERSIONS}")
        if len(self.pin) != 6 or not self.pin.isdigit():
            raise ValueError("pin must be 6 digits")
        if any(not 0 < key_id < 256 or len(key) != BLOCK for key_id, key in self.keys.items()):
            raise ValueError("card keys: key id 01-FF -> 16 bytes")
        encode_text(self.name, 30)  # raises for names outside GBK: the card cannot store them

    def __repr__(self) -> str:  # the profile holds a PIN and personal data: keep them out of logs
        return f"CardProfile({mask_ssn(self.ssn)}, spec {self.spec_version}, t0={self.t0})"

    def records(self) -> dict[bytes, dict[int, bytes]]:
        """EF id → tag → value, as personalised."""
        birth_place = encode_bcd(self.birth_place, 4 if self.spec_version == "1.00" else 3)
        return {
            b"\xef\x05": {
                0x01: bytes.fromhex(self.card_id),
                0x02: self.card_type.encode("ascii"),
                0x03: self.spec_version.encode("ascii"),
                0x04: self.card_id[:12].encode("ascii"),
                0x05: encode_date(self.issued_on),
                0x06: encode_date(self.expires_on),
                0x07: self.card_number.encode("ascii"),
            },
            b"\xef\x06": {
                0x08: self.ssn.encode("ascii"),
                0x09: encode_text(self.name, 30),
                0x0A: self.gender.encode("ascii"),
                0x0B: encode_bcd(self.ethnicity, 1),
                0x0C: birth_place,
                0x0D: encode_date(self.birth_date),
            },
        }


class VirtualSocialSecurityCard(VirtualCard):
    """A 社保卡 answering SELECT (DF by name, EF05/EF06), READ RECORD by tag, VERIFY, INTERNAL
    AUTHENTICATE, CHANGE PIN (drivers.card.sim_change_pin) and GET RESPONSE."""

    PROPRIETARY = frozenset({(CLA_PROPRIETARY, INS_CHANGE_PIN)})

    def __init__(self, profile: CardProfile, faults: CardFaults | None = None) -> None:
        super().__init__(faults)
        self.profile = profile
        self._records = profile.records()
        self.tries_left = profile.pin_tries
        self.df_selected = False
        self.pin_verified = False  # the security state key 02 needs
        self._ef: bytes | None = None
        self._pending: bytes = b""  # T=0: response data waiting for GET RESPONSE

    @classmethod
    def from_card_data(
        cls,
        card: CardData,
        pin: str,
        *,
        t0: bool = False,
        pin_tries: int = 3,
        faults: CardFaults | None = None,
        keys: dict[int, bytes] | None = None,
    ) -> VirtualSocialSecurityCard:
        profile = CardProfile(
            ssn=card.ssn,
            name=card.name,
            gender=card.gender,
            ethnicity=card.ethnicity,
            birth_date=card.birth_date,
            birth_place=card.birth_place,
            card_number=card.card_number,
            card_id=card.card_id,
            card_type=card.card_type,
            spec_version=card.spec_version,
            issued_on=card.issued_on,
            expires_on=card.expires_on,
            pin=pin,
            pin_tries=pin_tries,
            t0=t0,
            keys=dict(keys or {}),
        )
        return cls(profile, faults)

    def __repr__(self) -> str:
        return f"VirtualSocialSecurityCard({self.profile!r})"

    def _on_reset(self) -> None:
        self.df_selected = False
        self.pin_verified = False
        self._ef = None
        self._pending = b""

    def _with_data(self, data: bytes, le: int | None) -> bytes:
        """Answer a command that yields data: T=0 style (61xx / 6Cxx) or direct."""
        if le is not None and le != len(data) and (self.profile.t0 or le < len(data)):
            return _sw(0x6C00 | (len(data) & 0xFF))
        if self.profile.t0:
            self._pending = data
            return _sw(0x6100 | (len(data) & 0xFF))
        return data + _sw(0x9000)

    def _answer(self, apdu: bytes) -> bytes:
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        body, le, err = _parse_body(apdu)
        if err:
            return _sw(err)
        if ins != 0xC0:
            self._pending = b""
        if ins == 0xA4:
            return self._select(p1, p2, body, le)
        if ins == 0xB2:
            return self._read_record(p1, p2, body, le)
        if ins == 0x20:
            return self._verify(p1, p2, body)
        if ins == INS_CHANGE_PIN:
            return _sw(change_pin_status(self, p1, p2, body) if apdu[0] == CLA_PROPRIETARY else 0x6D00)
        if ins == 0x88:
            return self._internal_authenticate(p1, p2, body, le)
        if ins == 0xC0:
            return self._get_response(p1, p2, body, le)
        return _sw(0x6D00)

    def _select(self, p1: int, p2: int, body: bytes, le: int | None) -> bytes:
        if p2 != 0x00 or p1 not in (0x04, 0x02):
            return _sw(0x6A86)
        if not body:
            return _sw(0x6700)
        if p1 == 0x04:
            if body != SSSE_DF_NAME:
                return _sw(0x6A82)
            # Selecting the DF (again) starts its security state afresh: the PIN must be verified anew.
            self.df_selected, self._ef, self.pin_verified = True, None, False
            fci = bytes((0x6F, len(body) + 2, 0x84, len(body))) + body
        else:
            if len(body) != 2:
                return _sw(0x6700)
            if not self.df_selected or body not in self._records:
                return _sw(0x6A82)
            self._ef = body
            fci = bytes((0x62, 0x04, 0x83, 0x02)) + body
        # A T=0 card offers its FCI with 61xx; a direct card answers a case-3 SELECT with 9000 only.
        return self._with_data(fci, le) if self.profile.t0 or le is not None else _sw(0x9000)

    def _read_record(self, p1: int, p2: int, body: bytes, le: int | None) -> bytes:
        if body:
            return _sw(0x6700)
        if p2 != 0x00:
            return _sw(0x6A86)
        if self._ef is None:
            return _sw(0x6986)
        value = self._records[self._ef].get(p1)
        if value is None:
            return _sw(0x6A83)
        return self._with_data(encode_record(p1, value), le)

    def _verify(self, p1: int, p2: int, body: bytes) -> bytes:
        if p1 != 0x00 or p2 != 0x00:
            return _sw(0x6A86)
        if len(body) != 3:
            return _sw(0x6700)
        if not self.df_selected:
            return _sw(0x6A88)
        self.pin_verified = False
        if self.faults.pin_blocked or self.tries_left <= 0:
            return _sw(0x6983)
        if body.hex() == self.profile.pin:
            self.tries_left = self.profile.pin_tries
            self.pin_verified = True
            return _sw(0x9000)
        self.tries_left -= 1
        return _sw(0x63C0 | self.tries_left)

    def _internal_authenticate(self, p1: int, key_id: int, body: bytes, le: int | None) -> bytes:
        if p1 != 0x00:
            return _sw(0x6A86)
        if len(body) != BLOCK:
            return _sw(0x6700)
        key = self.profile.keys.get(key_id)
        if not self.df_selected or key is None:
            return _sw(0x6A88)  # the keys live in the SSSE DF
        if key_id == KEY_CARDHOLDER and not self.pin_verified:
            return _sw(0x6982)
        return self._with_data(cryptogram(key, body), le)

    def _get_response(self, p1: int, p2: int, body: bytes, le: int | None) -> bytes:
        if p1 or p2 or body:
            return _sw(0x6A86)
        if not self._pending:
            return _sw(0x6985)
        data = self._pending
        if le not in (None, 0, len(data)):
            return _sw(0x6C00 | len(data))
        self._pending = b""
        return data + _sw(0x9000)


def _parse_body(apdu: bytes) -> tuple[bytes, int | None, int]:
    """(data, Le, error SW or 0) of a short APDU; Le 00 means 256."""
    if len(apdu) == 4:
        return b"", None, 0
    if len(apdu) == 5:
        return b"", apdu[4] or 256, 0
    lc = apdu[4]
    if lc == 0 or len(apdu) not in (5 + lc, 6 + lc):
        return b"", None, 0x6700
    le = (apdu[5 + lc] or 256) if len(apdu) == 6 + lc else None
    return apdu[5 : 5 + lc], le, 0


class NonSocialSecurityCard(VirtualCard):
    """A card without the SSSE application (a bank card): every SELECT by name answers 6A82."""

    def __init__(self, faults: CardFaults | None = None) -> None:
        super().__init__(faults, atr=BANK_CARD_ATR)

    def _answer(self, apdu: bytes) -> bytes:
        if apdu[1] == 0xA4:
            return _sw(0x6A82)
        return _sw(0x6D00)


class BrokenCard(VirtualCard):
    """A damaged card: ``garbage`` answers one stray byte; otherwise it gives no ATR at all."""

    def __init__(self, garbage: bool = True) -> None:
        super().__init__(CardFaults(mute=not garbage), atr=bytes.fromhex("3B00"))
        self.dead = not garbage

    def _answer(self, apdu: bytes) -> bytes:
        return b"\x6f"


def replace_profile(profile: CardProfile, **changes: object) -> CardProfile:
    """A copy of ``profile`` with fields changed (tests and the demo dock make variants)."""
    return dataclasses.replace(profile, **changes)  # type: ignore[arg-type]
