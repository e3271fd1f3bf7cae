"""Application forms as data: the fields a wizard asks for, one question per screen.

A form names the gateway's application kind, the 须知 the resident must read and tick, and only
the fields the server cannot know already (the resident's name, 社会保障号码 and card come from the
session). Each field validates its own value and answers an i18n key, never a sentence, so the
same rule reads the same in every language; ``WizardForm.payload`` turns the answers into exactly
the form the gateway's model of that kind accepts (server/applications/forms.py).

Values are kept as the wizard's strings: a REGION is a six-digit GB/T 2260 code, an ADDRESS is
``<code>|<detail>`` (the division picked from lists, then the building and room typed), a PHOTO
is ``photo:<reference>`` of a picture the terminal took or a photo receipt number (digits), a FACE
the gateway's id of a face check made in this session (never shown: the review reads 已完成人脸核验).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from kiosk import divisions


class FieldKind(enum.Enum):
    """How a value is entered: the screens pick the keypad or the list from this."""

    DIGITS = "digits"  # numeric keypad
    PHONE = "phone"  # numeric keypad, an 11-digit mainland mobile number
    TEXT = "text"  # letters-and-digits pad
    CHOICE = "choice"  # one of ``choices``, as big buttons
    DATE = "date"  # YYYY-MM-DD, typed as eight digits on the numeric keypad
    AMOUNT = "amount"  # numeric keypad with a decimal point, yuan
    BANK_ACCOUNT = "bank_account"  # numeric keypad, 12 to 19 digits
    ADDRESS = "address"  # province → city → county (GB/T 2260) from lists, then the detail
    PHOTO = "photo"  # taken by the terminal's camera, or a photo receipt number
    REGION = "region"  # province → city → county from lists, no detail
    FACE = "face"  # a live face check by the terminal's camera; the answer is the gateway's check id


# The kinds typed on the numeric keypad (the letters pad is for TEXT and an address's detail).
NUMERIC = frozenset(
    {FieldKind.DIGITS, FieldKind.PHONE, FieldKind.DATE, FieldKind.AMOUNT, FieldKind.BANK_ACCOUNT, FieldKind.PHOTO}
)
PICKED = frozenset({FieldKind.ADDRESS, FieldKind.REGION})  # chosen from the division lists
ADDRESS_SEPARATOR = "|"
PHOTO_DONE_KEY = "form.photo.done"


@dataclass(frozen=True)
class Choice:
    """One option: the value sent to the gateway and the key of its words on screen."""

    value: str
    label_key: str


_PATTERNS: dict[FieldKind, re.Pattern[str]] = {
    FieldKind.DIGITS: re.compile(r"^\d+$"),
    FieldKind.PHONE: re.compile(r"^1[3-9]\d{9}$"),
    FieldKind.DATE: re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"),
    FieldKind.AMOUNT: re.compile(r"^(0|[1-9]\d{0,8})(\.\d{1,2})?$"),
    FieldKind.BANK_ACCOUNT: re.compile(r"^\d{12,19}$"),
    FieldKind.PHOTO: re.compile(r"^(photo:[A-Za-z0-9_.-]{4,64}|\d{6,20})$"),
    FieldKind.FACE: re.compile(r"^[0-9a-f]{32}$"),
}
FACE_DONE_KEY = "form.face.done"


def luhn_ok(digits: str) -> bool:
    """The Luhn check digit of a card number (银联 debit cards of 16 to 19 digits carry one)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def split_address(value: str) -> tuple[str, str]:
    """(code, detail) of an ADDRESS value; ("", "") before a division is picked."""
    code, _, detail = value.partition(ADDRESS_SEPARATOR)
    return code, detail


@dataclass(frozen=True)
class FormField:
    """One question. ``validate`` returns None for a good value, else the i18n key of the problem.

    ``cast`` is the JSON type the gateway wants ("str", "int" or "bool"); ``when`` (field, value)
    asks the question only when that other answer is given (the address when the card is mailed);
    ``send`` False keeps an answer on the kiosk (a question that only steers the next ones);
    ``prefix`` is put before a typed value (the "C" of a course number); ``region_key`` sends an
    ADDRESS as its division code under that key and the detail under ``name``, else as one line
    (the division's full name and the detail)."""

    name: str
    label_key: str
    kind: FieldKind
    required: bool = True
    choices: tuple[Choice, ...] = ()
    min_length: int = 0
    max_length: int = 100
    pattern: str | None = None
    cast: str = "str"
    when: tuple[str, str] | None = None
    send: bool = True
    prefix: str = ""
    region_key: str | None = None
    max_amount: int = 100_000_000

    def validate(self, value: str) -> str | None:
        value = value.strip()
        if not value:
            if not self.required:
                return None
            return "form.error.face" if self.kind is FieldKind.FACE else "form.error.required"
        if self.kind is FieldKind.CHOICE:
            return None if any(choice.value == value for choice in self.choices) else "form.error.choice"
        if self.kind in PICKED:
            return self._validate_place(value)
        pattern = _PATTERNS.get(self.kind)
        if pattern is not None and not pattern.match(value):
            return f"form.error.{self.kind.value}"
        if self.pattern is not None and not re.match(self.pattern, value):
            return f"{self.label_key}.error"
        if not self.min_length <= len(value) <= self.max_length:
            return "form.error.length"
        return self._validate_value(value)

    def _validate_value(self, value: str) -> str | None:
        if self.kind is FieldKind.DATE:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                return "form.error.date"
        if self.kind is FieldKind.AMOUNT and Decimal(value) > self.max_amount:
            return "form.error.amount_too_large"
        if self.kind is FieldKind.AMOUNT and self.cast == "int" and Decimal(value) != Decimal(value).to_integral():
            return "form.error.whole_yuan"
        if self.kind is FieldKind.BANK_ACCOUNT and len(value) >= 16 and not luhn_ok(value):
            return "form.error.bank_account_check"
        return None

    def _validate_place(self, value: str) -> str | None:
        code, detail = split_address(value) if self.kind is FieldKind.ADDRESS else (value, "")
        found = divisions.division(code)
        if found is None or not found.leaf:
            return "form.error.region"
        if self.kind is FieldKind.ADDRESS and not max(self.min_length, 1) <= len(detail.strip()) <= self.max_length:
            return "form.error.address_detail"
        return None

    def display(self, value: str) -> str | None:
        """The label key of a chosen option (to show it translated), or None to show ``shown(value)``."""
        if self.kind is FieldKind.PHOTO and value.startswith("photo:"):
            return PHOTO_DONE_KEY  # 已拍照: the photo's id means nothing to the resident
        if self.kind is FieldKind.FACE:
            return FACE_DONE_KEY if value else None
        for choice in self.choices:
            if choice.value == value:
                return choice.label_key
        return None

    def shown(self, value: str) -> str:
        """The answer as the resident reads it back (a division by its name, not its code; a face
        check by ``display``'s words, never its id)."""
        if self.kind is FieldKind.FACE:
            return ""
        if self.kind is FieldKind.REGION and value:
            return divisions.full_name(value)
        if self.kind is FieldKind.ADDRESS and value:
            code, detail = split_address(value)
            return divisions.full_name(code) + (" " + detail if detail else "") if code else ""
        return self.prefix + value if value else ""

    def payload(self, value: str) -> dict[str, Any]:
        """This answer as the gateway's form wants it (an empty optional answer sends nothing)."""
        value = value.strip()
        if not value or not self.send:
            return {}
        if self.kind is FieldKind.ADDRESS:
            code, detail = split_address(value)
            if self.region_key is not None:
                return {self.region_key: code, self.name: detail.strip()}
            return {self.name: divisions.full_name(code) + detail.strip()}
        if self.cast == "int":
            try:
                return {self.name: int(Decimal(value))}
            except InvalidOperation:
                return {}
        if self.cast == "bool":
            return {self.name: value == "true"}
        return {self.name: self.prefix + value}


@dataclass(frozen=True)
class WizardForm:
    """An application: its gateway kind, its notice, its questions, and whether a receipt is offered."""

    application_kind: str
    notice_key: str
    fields: tuple[FormField, ...] = ()
    receipt: bool = True

    def asked(self, field: FormField, answers: dict[str, str]) -> bool:
        """Whether ``field`` is put, given the answers so far; until a steering choice is made it
        counts as its first option, so "第 2 步，共 5 步" only changes when the resident changes it."""
        if field.when is None:
            return True
        steering = next((f for f in self.fields if f.name == field.when[0]), None)
        chosen = answers.get(field.when[0], "")
        if not chosen and steering is not None and steering.choices:
            chosen = steering.choices[0].value
        return chosen == field.when[1]

    def payload(self, answers: dict[str, str]) -> dict[str, Any]:
        """The gateway's form from the answers of the questions that were asked."""
        form: dict[str, Any] = {}
        for field in self.fields:
            if self.asked(field, answers):
                form.update(field.payload(answers.get(field.name, "")))
        return form
