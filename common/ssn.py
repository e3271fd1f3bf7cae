"""社会保障号码 / 公民身份号码 (GB 11643-1999) validation and masking.

The 社会保障号码 of a resident is their 18-character citizen identity number:
6-digit region code, 8-digit birth date, 3-digit sequence (odd = male) and an
ISO 7064 MOD 11-2 check character (0-9 or X).
"""

from __future__ import annotations

import datetime as _dt

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


class InvalidSSN(ValueError):
    """Raised with a reason when a string is not a valid 社会保障号码."""


def check_digit(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise InvalidSSN("need exactly 17 digits before the check character")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_ssn(ssn: str) -> str:
    """Return the normalised (upper-case X) number, or raise InvalidSSN saying why."""
    if not isinstance(ssn, str):
        raise InvalidSSN("not a string")
    value = ssn.strip().upper()
    if len(value) != 18:
        raise InvalidSSN(f"length {len(value)}, expected 18")
    if not value[:17].isdigit():
        raise InvalidSSN("first 17 characters must be digits")
    try:
        _dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidSSN("birth date part is not a real date") from exc
    expected = check_digit(value[:17])
    if value[17] != expected:
        raise InvalidSSN("check character does not match")
    return value


def is_valid_ssn(ssn: str) -> bool:
    try:
        validate_ssn(ssn)
    except InvalidSSN:
        return False
    return True


def make_ssn(region: str, birth: _dt.date, sequence: int) -> str:
    """Build a valid number from a 6-digit region code, birth date and 3-digit sequence."""
    if len(region) != 6 or not region.isdigit() or not 0 <= sequence <= 999:
        raise InvalidSSN("region must be 6 digits and sequence 0-999")
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def gender_of(ssn: str) -> str:
    """'1' for male, '2' for female (the 社保卡 性别 code), from the sequence parity."""
    return "1" if int(ssn[16]) % 2 == 1 else "2"


def mask_ssn(ssn: str | None) -> str:
    """Keep the first 4 and last 4 characters: 3301**********1234. Safe on any input."""
    if not ssn:
        return ""
    text = str(ssn)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_name(name: str | None) -> str:
    """Keep the family name only (first character): 张** / 欧阳** keeps 欧 as well-known convention."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def mask_card_number(number: str | None) -> str:
    if not number:
        return ""
    return number[:1] + "*" * max(len(number) - 3, 0) + number[-2:]


def mask_phone(number: str | None) -> str:
    """Keep the first 3 and last 4 digits of a mobile number: 139****5678. Safe on any input."""
    if not number:
        return ""
    text = str(number)
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]
