"""What the flows need from the outside world, as small protocols.

drivers/ and kiosk/backend.py implement these; main.py wires them; tests pass fakes.
Every method may block (device or network I/O) and is therefore only called on the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from kiosk.models import CardData, PinResult

if TYPE_CHECKING:
    from kiosk.documents import Document
    from kiosk.printer_status import PrinterStatus


class CardSession(Protocol):
    """An open connection to the inserted 社会保障卡, kept for the whole resident session."""

    def read(self) -> CardData: ...
    def verify_pin(self, pin: str) -> PinResult: ...
    def change_pin(self, old_pin: str, new_pin: str) -> PinResult:
        """CHANGE PIN on the card itself (answers like VERIFY). Raises kiosk.errors.CardError, among
        them PIN_TRIVIAL for a new PIN kiosk.pin_policy refuses (incl. the card's birth date)."""
        ...

    def authenticate(self, key_id: int, challenge: bytes) -> bytes:
        """The card's INTERNAL AUTHENTICATE cryptogram of the gateway's 16-byte ``challenge`` under
        ``key_id`` (common.card_auth: 01 card presence, 02 cardholder after a good ``verify_pin``).
        Raises kiosk.errors.CardError."""
        ...

    def close(self) -> None: ...


class CardPort(Protocol):
    def open_card(self) -> CardSession:
        """Connect to the inserted card; raises kiosk.errors.CardError."""
        ...

    def card_present(self) -> bool:
        """Is a card in the reader now? (The core asks whenever it returns to the attract screen.)"""
        ...


class PrinterPort(Protocol):
    def status(self) -> PrinterStatus:
        """The printer's state now (never UNKNOWN: that only means "not asked yet")."""
        ...

    def print_document(self, doc: Document) -> None:
        """Print or raise kiosk.errors.PrinterError."""
        ...


class PreviewPort(Protocol):
    def __call__(self, doc: Document) -> bytes:
        """PNG bytes of what the paper will show."""
        ...


class Backend(Protocol):
    def session_challenge(self) -> bytes:
        """A fresh 16-byte challenge for the card (single use, this terminal's, 60 s)."""
        ...

    def start_session(self, ssn: str, card_number: str, challenge: bytes, cryptogram: bytes) -> dict:
        """A ``card_pin`` session: ``cryptogram`` is the card's key-02 answer to ``challenge``."""
        ...

    def end_session(self, session_id: str) -> None: ...
    def insurance(self, session_id: str) -> dict: ...
    def contributions(
        self,
        session_id: str,
        from_period: str | None = None,
        to_period: str | None = None,
        page: int = 1,
        page_size: int = 100,
    ) -> dict: ...
    def start_face_session(
        self, ssn: str, card_number: str, frames: list[bytes], challenge: bytes, cryptogram: bytes
    ) -> dict:
        """A face session: ``cryptogram`` is the card's key-01 answer to ``challenge``. Raises
        kiosk.errors.FaceRefused when the gateway refuses the face (the PIN stays the way in)."""
        ...

    def face_check(self, session_id: str, frames: list[bytes]) -> dict:
        """``{face_check_id, score}`` of a 1:1 check of live ``frames`` in the open session. Raises
        kiosk.errors.FaceRefused when the gateway refuses the face (``face_locked``: not today)."""
        ...

    def upload_card_photo(self, session_id: str, jpeg: bytes) -> dict:
        """``{photo_id}`` of a 社保卡 photo (358 × 441 JPEG) the terminal took in the open session;
        the card forms then name it ``photo:<photo_id>``. Raises kiosk.errors.BackendRejected."""
        ...

    def start_esscard_session(self, code: str) -> dict:
        """Raises kiosk.errors.BackendRejected with a code of common.esscard.REFUSALS for a code refused."""
        ...

    def cards(self, session_id: str) -> dict: ...
    def submit_application(
        self, session_id: str, kind: str, form: dict | None = None, idempotency_key: str | None = None
    ) -> dict: ...

    def issue_certificate(
        self,
        session_id: str,
        kind: str,
        from_period: str | None = None,
        to_period: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict: ...


@dataclass(frozen=True)
class FaceProgress:
    """One preview frame for the screen: RGB bytes (bottom row first, as Kivy textures want them),
    its size, and what to tell the resident now (an i18n key)."""

    rgb: bytes
    width: int
    height: int
    message_key: str | None


@dataclass(frozen=True)
class FaceOutcome:
    """``passed`` with the best live frames (JPEG) for the server's 1:1 check; else why not."""

    passed: bool
    message_key: str | None
    frames: list[bytes]


class FacePort(Protocol):
    def start(self, on_progress: Callable[[FaceProgress], None], on_done: Callable[[FaceOutcome], None]) -> None:
        """Begin one capture (quality gates + action liveness) on a worker thread; callbacks on that thread."""
        ...

    def cancel(self) -> None: ...


@dataclass(frozen=True)
class PhotoOutcome:
    """``taken`` with the card's photo (358 × 441 JPEG); else why not (``photo.cancelled``,
    ``photo.timeout``, ``camera.*``)."""

    taken: bool
    message_key: str | None
    jpeg: bytes = b""


class PhotoPort(Protocol):
    """The camera taking the 社保卡 photo: it judges live frames against the photo's rules
    (kiosk.photo_rules) and takes the photo once every rule has held for a steady moment."""

    def start(self, on_progress: Callable[[FaceProgress], None], on_done: Callable[[PhotoOutcome], None]) -> None:
        """Run on a worker thread; callbacks on that thread. ``on_progress`` gets preview frames whose
        ``message_key`` is the first problem (``photo.problem.*``) or ``photo.hold_still``; exactly
        one ``on_done`` ends it, unless ``cancel()`` came first: nothing is called after it returns."""
        ...

    def cancel(self) -> None: ...


class QrScanPort(Protocol):
    """The camera reading a QR code shown to it (the 电子社保卡 on a resident's phone)."""

    def start(
        self,
        on_code: Callable[[str], None],
        on_stop: Callable[[str], None],
        on_preview: Callable[[FaceProgress], None] | None = None,
        ignore: Collection[str] = (),
    ) -> None:
        """Scan camera frames on a worker thread; callbacks on that thread.

        Ends with exactly one of ``on_code(payload)`` (a QR code with a printable-ASCII payload not
        in ``ignore``, e.g. not the code just refused while it is still on the phone's screen) or
        ``on_stop(message_key)`` (``esscard.scan.timeout``, or ``camera.*`` when the camera fails),
        unless ``cancel()`` came first: nothing is called once ``cancel()`` has returned.
        ``on_preview`` gets preview frames for the screen, as FacePort's ``on_progress`` does.
        """
        ...

    def cancel(self) -> None: ...
