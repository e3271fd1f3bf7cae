"""The resident session that flows share, and what a flow may ask of the session core.

A flow (identification, query, certificate, wizard) never holds the core itself: it gets a
:class:`FlowHost`, the narrow set of operations below, and the :class:`SessionContext` of the
resident now at the terminal. Everything here runs on the UI thread; blocking work goes through
``FlowHost.run``, whose callbacks are dropped once the session they belong to has ended.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.config import KioskConfig
from kiosk.models import CardData
from kiosk.ports import Backend, CardSession, FacePort, PhotoPort, PreviewPort
from kiosk.printer_status import PrinterStatus
from kiosk.state import KioskState, Message, Screen


@dataclass
class SessionContext:
    """One resident from card in to card out. ``generation`` tells a late answer from a live one."""

    generation: int = 0
    has_card: bool = True  # False for a 电子社保卡 sign-in: nobody has a card to take at the end
    card_session: CardSession | None = None
    card: CardData | None = None
    session_id: str | None = None
    identity: str = ""  # who signed in (their 社会保障号码, or the gateway's person block): never shown
    pin_failures: int = 0
    by_face: bool = False  # the gateway opened the session on a face check (face sign-in)

    @property
    def signed_in(self) -> bool:
        return self.session_id is not None

    def request_key(self, *parts: str) -> str:
        """A stable key for "this resident asks for this again" that carries no personal data. With
        no identity yet it is random: it must never match another resident's request."""
        identity = self.identity or secrets.token_hex(16)
        return hashlib.sha256("|".join((identity, *parts)).encode()).hexdigest()[:32]

    def identify(self, answer: dict) -> None:
        """Record who signed in: the card's 社会保障号码, or for a cardless sign-in the gateway's
        description of the person (masked SSN, name, birth date: together, one resident)."""
        self.by_face = isinstance(answer.get("face"), dict)
        if self.card is not None:
            self.identity = self.card.ssn
            return
        person = answer.get("person")
        if isinstance(person, dict):
            fields = [str(person.get(key, "")) for key in ("ssn_masked", "name", "birth_date", "region")]
            self.identity = "person:" + "|".join(fields) if any(fields) else ""


class FlowHost(Protocol):
    """What the session core offers a flow. All methods run on the UI thread."""

    state: KioskState
    config: KioskConfig
    backend: Backend
    session: SessionContext
    render_preview: PreviewPort
    build_document: Callable[[dict, str], Any]

    @property
    def printing(self) -> Any:
        """The kiosk.print_service.PrintService that owns the printer."""
        ...

    @property
    def face(self) -> FacePort | None:
        """The camera's face capture (quality gates + liveness), None on a terminal without one."""
        ...

    @property
    def photo(self) -> PhotoPort | None:
        """The camera taking the 社保卡 photo, None on a terminal without one."""
        ...

    def run(
        self, job: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]
    ) -> None:
        """Run ``job`` on the worker; the callbacks run on the UI thread only if the session is still the same."""
        ...

    def guard(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """``callback`` wrapped so that it is dropped once the current session has ended."""
        ...

    def post(self, callback: Callable[[], None]) -> None:
        """Hand ``callback`` to the UI thread (from a device's own thread: the camera's, say)."""
        ...

    def start_service(self, name: str) -> None:
        """Run another catalogue entry (a table's print service, say)."""
        ...

    def note_printer_status(self, status: PrinterStatus) -> None:
        """What a failed print said about the printer: print services are offered accordingly."""
        ...

    def go(self, screen: Screen) -> None: ...
    def publish(self) -> None: ...
    def touch(self) -> None: ...
    def show_message(self, message: Message, then: Screen) -> None: ...
    def error_message(self, exc: BaseException, extra_key: str | None = None) -> Message: ...
    def fail_to_menu(self, exc: BaseException) -> None: ...
    def fail_to_remove_card(self, exc: BaseException) -> None: ...
    def end_with_message(self, message: Message) -> None: ...
    def signed_in(self, answer: dict) -> None: ...
    def enter_menu(self) -> None: ...


class Flow:
    """One kind of work on the screen. Screens send intents (``handle``); the core ends flows with ``cancel``."""

    def __init__(self, host: FlowHost) -> None:
        self.host = host

    def start(self) -> None:
        raise NotImplementedError

    def handle(self, intent: str, value: str = "") -> None:
        """A touch meant for this flow (``confirm``, ``next``, a PIN digit …); unknown intents are ignored."""

    def cancel(self) -> None:
        """The session ended or the resident left the flow: stop anything running (the camera, say)."""
