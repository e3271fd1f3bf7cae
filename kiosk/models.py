"""Plain data shared by the card layer, the flows and the screens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from common.ssn import mask_card_number, mask_name, mask_ssn


@dataclass(frozen=True)
class CardData:
    """What EF05 and EF06 of a 社会保障卡 say (docs/card-protocol.md). Codes stay as the card stores them."""

    ssn: str
    name: str
    gender: str  # '1' male, '2' female
    ethnicity: str  # two-digit GB/T 3304 code
    birth_date: dt.date
    birth_place: str  # six-digit region code
    card_number: str  # 9 characters
    card_id: str  # 卡识别码, 32 upper-case hex digits
    issuing_region: str  # first six digits of the 卡识别码
    card_type: str
    spec_version: str  # "1.00", "2.00", "3.00"
    issued_on: dt.date
    expires_on: dt.date

    def to_json(self) -> dict[str, Any]:
        """The object printed by `main.py card read --json` (docs/commands.md)."""
        out: dict[str, Any] = {}
        for key in (
            "ssn",
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "birth_place",
            "card_number",
            "card_id",
            "issuing_region",
            "card_type",
            "spec_version",
            "issued_on",
            "expires_on",
        ):
            value = getattr(self, key)
            out[key] = value.isoformat() if isinstance(value, dt.date) else value
        return out

    def masked(self) -> str:
        """A log-safe description of the card holder."""
        return f"{mask_name(self.name)} {mask_ssn(self.ssn)} card {mask_card_number(self.card_number)}"

    def __repr__(self) -> str:  # never let a full SSN or name reach a log through repr()
        return f"CardData({self.masked()})"


@dataclass(frozen=True)
class PinResult:
    """Outcome of VERIFY: ok, tries left after a wrong PIN (63Cx), blocked (6983)."""

    ok: bool
    tries_left: int | None
    blocked: bool

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "tries_left": self.tries_left, "blocked": self.blocked}


def card_data_from_json(data: dict[str, Any]) -> CardData:
    """Inverse of CardData.to_json (dates as YYYY-MM-DD); raises KeyError/ValueError on bad input."""
    values = {key: data[key] for key in CardData.__dataclass_fields__}
    for key in ("birth_date", "issued_on", "expires_on"):
        values[key] = dt.date.fromisoformat(str(values[key]))
    return CardData(**values)
