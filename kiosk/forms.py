"""Application forms as data: the fields a wizard asks for, one question per screen.

A form names the gateway's application kind, the 须知 the resident must read and tick, and only
the fields the server cannot know already (the resident's name, 社会保障号码 and card come from the
session). Each field validates its own value and answers an i18n key, never a sentence, so the
same rule reads the same in every language.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class FieldKind(enum.Enum):
    """How a value is entered: the screens pick the keypad or the list from this."""

    DIGITS = "digits"  # numeric keypad
    PHONE = "phone"  # numeric keypad, an 11-digit mainland mobile number
    TEXT = "text"  # on-screen Chinese input or letters-and-digits pad
    CHOICE = "choice"  # one of ``choices``, as big buttons
    DATE = "date"  # YYYY-MM-DD
    AMOUNT = "amount"  # numeric keypad with a decimal point, yuan
    BANK_ACCOUNT = "bank_account"  # numeric keypad, 12 to 19 digits
    ADDRESS = "address"  # province → city → district → street (GB/T 2260), then the detail
    PHOTO = "photo"  # taken by the terminal's camera, or a photo receipt number


@dataclass(frozen=True)
class Choice:
    """One option: the value sent to the gateway and the key of its words on screen."""

    value: str
    label_key: str


_PATTERNS: dict[FieldKind, re.Pattern[str]] = {
    FieldKind.DIGITS: re.compile(r"^\d+$"),
    FieldKind.PHONE: re.compile(r"^1[3-9]\d{9}$"),
    FieldKind.DATE: re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"),
}


@dataclass(frozen=True)
class FormField:
    """One question. ``validate`` returns None for a good value, else the i18n key of the problem."""

    name: str
    label_key: str
    kind: FieldKind
    required: bool = True
    choices: tuple[Choice, ...] = ()
    min_length: int = 0
    max_length: int = 100

    def validate(self, value: str) -> str | None:
        value = value.strip()
        if not value:
            return "form.error.required" if self.required else None
        if self.kind is FieldKind.CHOICE:
            return None if any(choice.value == value for choice in self.choices) else "form.error.choice"
        pattern = _PATTERNS.get(self.kind)
        if pattern is not None and not pattern.match(value):
            return f"form.error.{self.kind.value}"
        if not self.min_length <= len(value) <= self.max_length:
            return "form.error.length"
        return None

    def display(self, value: str) -> str | None:
        """The label key of a chosen option (to show it translated), or None to show ``value`` as is."""
        for choice in self.choices:
            if choice.value == value:
                return choice.label_key
        return None


@dataclass(frozen=True)
class WizardForm:
    """An application: its gateway kind, its notice, its questions, and whether a receipt is offered."""

    application_kind: str
    notice_key: str
    fields: tuple[FormField, ...] = ()
    receipt: bool = True
