"""Typed errors. Each carries an i18n message key for the resident and a detail for the log.

Screens show ``tr(error.message_key, lang)``; logs get ``error.detail`` (never personal data).
``KioskError`` and ``ConfigError`` are defined in ``common.errors`` (the configuration schema, which
the fleet manager shares, raises ConfigError) and re-exported here with the terminal's own errors.
"""

from __future__ import annotations

import enum

# ConfigError is re-exported: the terminal's code catches it as one of kiosk.errors.
from common.errors import ConfigError as ConfigError
from common.errors import KioskError
from kiosk.printer_status import PrinterStatus


class CardErrorKind(enum.Enum):
    NO_READER = "no_reader"  # no PC/SC reader matches the configured name
    NO_CARD = "no_card"  # reader present, no card in it
    NOT_SOCIAL_SECURITY_CARD = "not_sscard"  # SELECT of the SSSE DF answered 6A82 (or similar)
    REMOVED = "removed"  # card pulled during a command
    MUTE = "mute"  # card does not answer / unresponsive
    BAD_DATA = "bad_data"  # records unreadable or invalid (e.g. SSN check digit wrong)
    UNEXPECTED_STATUS = "unexpected_status"  # a status word we do not know how to handle
    PIN_BLOCKED = "pin_blocked"  # 6983
    PIN_FORMAT = "pin_format"  # PIN not 6 digits (refused before any APDU)
    PIN_TRIVIAL = "pin_trivial"  # a new PIN too easy to guess (kiosk.pin_policy; refused before any APDU)
    SERVICE = "service"  # pcscd not running / PC/SC service error


class CardError(KioskError):
    """A card or reader problem; ``kind`` says which (message key ``card.<kind>``)."""

    def __init__(self, kind: CardErrorKind, detail: str = "", sw: int | None = None) -> None:
        super().__init__(detail or kind.value, message_key=f"card.{kind.value}")
        self.kind = kind
        self.sw = sw


class PrinterError(KioskError):
    """The printer cannot print now; ``status`` is the PrinterStatus that stopped it.

    A status string (name or value, e.g. "NO_PAPER") is still accepted and converted, for callers
    not yet moved to the enum; an unknown string becomes ERROR.
    """

    def __init__(self, status: PrinterStatus | str, detail: str = "") -> None:
        member = PrinterStatus.parse(status)
        super().__init__(detail or member.name, message_key=member.reason_key)
        self.status: PrinterStatus = member


class BackendError(KioskError):
    message_key = "backend.unavailable"


class BackendUnavailable(BackendError):
    """Connection refused, DNS failure, 5xx after retries."""

    message_key = "backend.unavailable"


class BackendTimeout(BackendError):
    message_key = "backend.timeout"


class BackendRejected(BackendError):
    """The server refused the request (4xx). Carries the server's own bilingual message."""

    message_key = "backend.rejected"

    def __init__(self, status_code: int, code: str, message_zh: str = "", message_en: str = "") -> None:
        super().__init__(f"{status_code} {code}")
        self.status_code = status_code
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


class FaceRefused(BackendRejected):
    """The gateway looked at the face and said no (mismatch, daily lock, no enrolled photo, no usable
    face): the resident may still use the PIN. Other backend errors end the session."""
