"""The resident session that flows share, and what a flow may ask of the session core.

A flow (identification, query, certificate, wizard) never holds the core itself: it gets a
:class:`FlowHost`, the narrow set of operations below, and the :class:`SessionContext` of the
resident now at the terminal. Everything here runs on the UI thread; blocking work goes through
``FlowHost.run``, whose callbacks are dropped once the session they belong to has ended.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.config import KioskConfig
from kiosk.models import CardData
from kiosk.ports import Backend, CardSession, PreviewPort
from kiosk.state import KioskState, Message, Screen


@dataclass
class SessionContext:
    """One resident from card in to card out. ``generation`` tells a late answer from a live one."""

    generation: int = 0
    card_session: CardSession | None = None
    card: CardData | None = None
    session_id: str | None = None
    pin_failures: int = 0
    # Values a flow keeps across screens (a wizard's answers); wiped with the session.
    scratch: dict[str, Any] = field(default_factory=dict)

    @property
    def signed_in(self) -> bool:
        return self.session_id is not None

    def request_key(self, *parts: str) -> str:
        """A stable key for "this resident asks for this again" that carries no personal data."""
        ssn = self.card.ssn if self.card is not None else ""
        return hashlib.sha256("|".join((ssn, *parts)).encode()).hexdigest()[:32]


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

    def run(
        self, job: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]
    ) -> None:
        """Run ``job`` on the worker; the callbacks run on the UI thread only if the session is still the same."""
        ...

    def guard(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """``callback`` wrapped so that it is dropped once the current session has ended."""
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
