"""The session core: a small state machine that every flow plugs into.

    idle (ATTRACT) ─card in─▶ identify (READING → PIN | FACE) ─signed in─▶ MENU ─service─▶ task flow
        ▲                              │ error                                  │ (query, certificate, wizard)
        └──── card out ──── end (REMOVE_CARD) ◀──── MESSAGE ◀──── finish / idle / error

The core owns the state the screens render, the resident's session (kiosk.session), idle timing,
timed messages, language, announcements, maintenance mode and the staff intents; what a service
does lives in its flow (kiosk.flows), chosen by its catalogue entry (kiosk.services). Card removal
in any state ends the session at once; every blocking call runs on the worker and its answer is
dropped once its session has ended (``generation``), so a late answer never shows one resident's
data to the next. Whenever the core comes back to the attract screen it asks the reader whether a
card is in it, so a card put back while the last session was still ending is read.

All public methods run on the UI thread, except ``card_inserted``/``card_removed`` and
``is_idle``, which any thread may call.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from common.ssn import mask_ssn
from kiosk.announcements import AnnouncementBoard, utc_now
from kiosk.config import KioskConfig
from kiosk.errors import CardError, CardErrorKind
from kiosk.flows import FLOWS
from kiosk.flows.esscard import EsscardFlow
from kiosk.flows.face import FaceFlow
from kiosk.flows.identify import CardPinFlow, PinPadIntents
from kiosk.i18n import LANGUAGES
from kiosk.messages import error_message, idle_countdown
from kiosk.ports import Backend, CardPort, FacePort, PhotoPort, PreviewPort, QrScanPort
from kiosk.printer_status import PrinterStatus
from kiosk.services import CATALOGUE, menu_items
from kiosk.session import Flow, SessionContext
from kiosk.staff_intents import StaffIntents
from kiosk.staff_screen import StaffScreen
from kiosk.state import HOME_SCREENS, IDLE_SCREENS, NO_RESIDENT_SCREENS, UNTIMED_SCREENS, KioskState, Message, Screen
from kiosk.worker import Worker

logger = logging.getLogger(__name__)

Listener = Callable[[KioskState], None]


class KioskController(PinPadIntents):
    def __init__(
        self,
        config: KioskConfig,
        worker: Worker,
        card: CardPort,
        backend: Backend,
        printing: Any,
        render_preview: PreviewPort,
        clock: Callable[[], float] = time.monotonic,
        document_builder: Callable[[dict, str], Any] | None = None,
        face: FacePort | None = None,
        wall_clock: Callable[[], dt.datetime] = utc_now,
        qr_scan: QrScanPort | None = None,
        photo: PhotoPort | None = None,
    ) -> None:
        self.config = config
        self.backend = backend
        self.render_preview = render_preview
        self._worker = worker
        self._card_port = card
        self._printing = printing
        self._clock = clock
        if document_builder is None:
            from kiosk.layouts import build_certificate_document as document_builder
        self.build_document = document_builder
        self.face = face  # face sign-in and the wizards' FACE step; None without a camera
        self._qr_scan = qr_scan
        self.photo = photo  # the 社保卡 photo of the card wizards' PHOTO step; None without a camera
        self.state = KioskState(
            language=config.terminal.language,
            elder_mode=config.ui.elder_mode_default,
            face_available=face is not None,
            esscard_available=qr_scan is not None,
        )
        self.session = SessionContext()
        self._listeners: list[Listener] = []
        self._identify: CardPinFlow | None = None
        self._flow: Flow | None = None
        self._last_touch = clock()
        self._message_until: float | None = None
        self._message_next = Screen.MENU
        self._out_of_service = False
        self._pending_config: KioskConfig | None = None
        self._idle = threading.Event()
        self._idle.set()
        self.staff = StaffIntents(self, clock)
        self.staff_screen = StaffScreen(self, card, clock)
        # Announcement windows are wall-clock times; rotation is timed by ``clock`` like the rest.
        self._announcements = AnnouncementBoard(wall_clock)
        self._sync_announcements(rotating=False)
        self.sessions_started = 0

    # ----------------------------------------------------------------- what flows may use
    @property
    def printing(self) -> Any:
        return self._printing

    def run(
        self, job: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]
    ) -> None:
        self._worker.submit(job, self.guard(on_done), self.guard(on_error))

    def post(self, callback: Callable[[], None]) -> None:
        self._worker.post(callback)

    def guard(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """Drop results that arrive after their session ended."""
        gen = self.session.generation

        def guarded(value: Any) -> None:
            if gen == self.session.generation:
                callback(value)
            else:
                logger.debug("dropped a late result of an ended session")

        return guarded

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)
        listener(self.state.snapshot())

    def publish(self) -> None:
        self._sync_announcements(rotating=False)
        snapshot = self.state.snapshot()
        for listener in list(self._listeners):
            listener(snapshot)

    def go(self, screen: Screen) -> None:
        if screen is Screen.ATTRACT:
            # The next resident starts in the terminal's language; the one leaving keeps theirs until
            # the card is out, so the last messages ("please take your card") are in words they read.
            self.state.language = self.config.terminal.language
            self.state.elder_mode = self.config.ui.elder_mode_default
        self.state.screen = screen
        if screen in NO_RESIDENT_SCREENS and not self.session.signed_in and not self.state.session_active:
            self._idle.set()
        else:
            self._idle.clear()
        self.publish()
        if screen is Screen.ATTRACT:
            self._between_residents()

    def touch(self) -> None:
        """Any touch on the screen: resets the idle timer and dismisses the countdown."""
        self._last_touch = self._clock()
        if self.state.countdown is not None:
            self.state.countdown = None
            self.publish()

    def is_idle(self) -> bool:
        """No resident at the terminal (any thread may ask: the fleet agent does)."""
        return self._idle.is_set()

    # ----------------------------------------------------------------- device events
    def card_inserted(self) -> None:
        self._worker.post(self._on_card_inserted)

    def card_removed(self) -> None:
        self._worker.post(self._on_card_removed)

    def _new_resident(self, has_card: bool) -> bool:
        """A resident starts at the attract screen (not in maintenance, not while a restart waits)."""
        if self._out_of_service or self.state.screen is not Screen.ATTRACT or self.staff.restart_due:
            return False
        self.session = SessionContext(generation=self.session.generation + 1, has_card=has_card)
        self._last_touch = self._clock()
        self._printing.begin_resident()
        return True

    def _on_card_inserted(self) -> None:
        if self._new_resident(has_card=True):
            self._identify = CardPinFlow(self, self._card_port)
            self._identify.start()

    def choose_esscard(self) -> None:
        """Sign in with the 电子社保卡 on the resident's phone: the camera reads its QR code."""
        self.touch()
        if self._qr_scan is not None and self._new_resident(has_card=False):
            self._flow = EsscardFlow(self, self._qr_scan)
            self._flow.start()

    def _on_card_removed(self) -> None:
        if self.state.screen in IDLE_SCREENS or not self.session.has_card:
            return  # a card pulled during a cardless sign-in was never taken in
        screen = self.state.screen
        # Expected when we asked for the card, or while saying why we are about to ask for it.
        was_expected = screen is Screen.REMOVE_CARD or (
            screen is Screen.MESSAGE and self._message_next is Screen.REMOVE_CARD
        )
        self._end_session()
        if was_expected:
            self.go(Screen.ATTRACT)
        else:
            self.show_message(Message("card.removed", is_error=True), then=Screen.ATTRACT)

    def _between_residents(self) -> None:
        """Back on the attract screen: deferred config and staff intents run now; a card already in
        the reader (put back while the last session was ending) starts the next session."""
        if self._pending_config is not None:
            config, self._pending_config = self._pending_config, None
            self.apply_config(config)
        self.staff.run_due()
        if self.state.screen is not Screen.ATTRACT or self._out_of_service:
            return
        port = self._card_port

        def present(answer: bool) -> None:
            if answer and self.state.screen is Screen.ATTRACT:
                logger.info("a card is in the reader on the attract screen: reading it")
                self._on_card_inserted()

        self._worker.submit(port.card_present, present, lambda exc: logger.debug("card presence: %s", exc))

    def choose_face(self) -> None:
        """Verify by face instead of the PIN: camera capture with action liveness, then the server's 1:1 check."""
        self.touch()
        if self.state.screen is not Screen.PIN or self.face is None or self.session.card is None:
            return
        self._flow = FaceFlow(self, self.face)
        self._flow.start()

    def cancel_face(self) -> None:
        self.intent("cancel")

    def signed_in(self, answer: dict) -> None:
        self.session.session_id = str(answer["session_id"])
        self.session.identify(answer)
        self.sessions_started += 1
        card = self.session.card
        logger.info("resident session started for %s", mask_ssn(card.ssn if card else ""))
        self.enter_menu()

    # ----------------------------------------------------------------- menu and services
    def enter_menu(self) -> None:
        if self._flow is not None:
            self._flow.cancel()
        self._flow = None
        self.state.records = None
        self.state.preview_png = None
        self.state.wizard = None
        self._build_menu()
        self.go(Screen.MENU)
        self.refresh_printer_status()

    def _build_menu(self) -> None:
        self.state.menu = menu_items(self.config.services.enabled, self.state.printer_status, self.face is not None)

    def note_printer_status(self, status: PrinterStatus) -> None:
        self.state.printer_status = status
        self._build_menu()

    def refresh_printer_status(self) -> None:
        """Ask the print service for the printer's state and enable/disable print services accordingly."""

        def done(status: PrinterStatus) -> None:
            self.note_printer_status(status)
            self.publish()

        self._printing.status(done)

    def choose_service(self, name: str) -> None:
        self.touch()
        if self.state.screen is not Screen.MENU or not self.session.signed_in:
            return
        item = next((entry for entry in self.state.menu if entry.service == name), None)
        if item is None or not item.enabled:
            logger.info("service %s not offered now", name)
            return
        self.start_service(name)

    def start_service(self, name: str) -> None:
        """Run a catalogue entry's flow (from the menu, or from another flow: print from a table)."""
        spec = CATALOGUE.get(name)
        if spec is None or name not in self.config.services.enabled:
            return
        logger.info("service chosen: %s", name)
        if self._flow is not None:
            self._flow.cancel()
        self._flow = FLOWS[spec.flow](self, spec)
        self._flow.start()

    def intent(self, name: str, value: str = "") -> None:
        """A touch meant for the flow on screen (``confirm``, ``next``, ``page_next`` …)."""
        self.touch()
        if self._flow is not None:
            self._flow.handle(name, value)

    def confirm_print(self) -> None:
        self.intent("confirm")

    def back_to_menu(self) -> None:
        self.touch()
        if self.state.screen in HOME_SCREENS:
            if self.session.signed_in:
                self._message_until = None
                self.enter_menu()

    def set_language(self, language: str) -> None:
        self.touch()
        if language in LANGUAGES:
            self.state.language = language
            self.publish()

    def set_elder_mode(self, on: bool) -> None:
        """长辈模式 on or off for this resident (any screen); the next resident starts with the
        terminal's ``ui.elder_mode_default`` again, as with the language."""
        self.touch()
        if self.state.elder_mode != on:
            self.state.elder_mode = on
            self.publish()

    # ----------------------------------------------------------------- ending
    def finish(self) -> None:
        """The resident is done: end the session and ask for the card."""
        self.touch()
        if self.state.screen in (*IDLE_SCREENS, Screen.REMOVE_CARD):
            return
        self.go(self._end_session())

    def _end_session(self) -> Screen:
        """Forget the resident; returns where the terminal goes next ("take your card", or straight
        back to the attract screen after a cardless sign-in)."""
        session = self.session
        self.session = SessionContext(generation=session.generation + 1)  # answers in flight belong to nobody
        for flow in (self._flow, self._identify):
            if flow is not None:
                flow.cancel()
        self._flow = self._identify = None
        self._message_until = None
        self.state.clear_resident()
        self._printing.end_resident()
        card_session, session_id, backend = session.card_session, session.session_id, self.backend

        def close() -> None:
            if card_session is not None:
                card_session.close()
            if session_id is not None:
                backend.end_session(session_id)

        self._worker.submit(close, lambda _: None, lambda exc: logger.warning("closing session: %s", exc))
        return Screen.REMOVE_CARD if session.has_card else Screen.ATTRACT

    def end_with_message(self, message: Message) -> None:
        """End the session (nothing of the resident stays), explain why, then ask for the card."""
        self.show_message(message, then=self._end_session())

    # ----------------------------------------------------------------- idle and messages
    def _sync_announcements(self, rotating: bool) -> bool:
        """Copy the announcements in force (and the one on show) into the state; True if they changed."""
        changed = self._announcements.update(
            self.config.announcements, self.state.language, self._clock(), rotating=rotating
        )
        self.state.announcements = list(self._announcements.notices)
        self.state.announcement_index = self._announcements.index
        return changed

    def tick(self) -> None:
        """Called about once a second by the UI: idle countdown, timed messages, announcements, and
        the limit of a restart that waits for the resident."""
        if self._sync_announcements(rotating=self.state.screen is Screen.ATTRACT):
            self.publish()
        self._tick_screen(self._clock())
        self.staff.tick()
        self.staff_screen.tick()

    def _tick_screen(self, now: float) -> None:
        """Timed messages give way to their next screen; idle time counts down and ends the session."""
        if self._message_until is not None and now >= self._message_until:
            self._message_until = None
            if self._message_next is Screen.MENU and self.session.signed_in:
                self.enter_menu()
            else:
                self.go(self._message_next)
            return
        if self.state.screen in UNTIMED_SCREENS:
            return
        idle = now - self._last_touch
        limit = self.config.session.idle_timeout_for(self.state.screen.value)
        remaining = idle_countdown(idle, limit, self.config.session.countdown)
        if remaining is None:
            if self.state.countdown is not None:
                self.state.countdown = None
                self.publish()
        elif remaining <= 0:
            logger.info("session ended after %d s without a touch", int(idle))
            self.state.countdown = None
            self.go(self._end_session())
        elif remaining != self.state.countdown:
            self.state.countdown = remaining
            self.publish()

    def show_message(self, message: Message, then: Screen) -> None:
        self.state.message = message
        self._message_next = then
        self._message_until = self._clock() + self.config.session.message_seconds
        self.go(Screen.MESSAGE)

    def apply_config(self, config: KioskConfig) -> None:
        """A new effective config that can apply without a restart (services, timeouts, language,
        announcements). Offered in the middle of a session, it waits for the session to end."""
        if self.state.session_active or self.session.signed_in:
            self._pending_config = config
            return
        self.config = config
        self.state.language = config.terminal.language
        self.state.elder_mode = config.ui.elder_mode_default
        self._build_menu()
        self.publish()

    @property
    def out_of_service(self) -> bool:
        """Maintenance mode, as staff set it (the one place it is kept)."""
        return self._out_of_service

    def set_out_of_service(self, out: bool) -> None:
        self._out_of_service = out
        if out and self.state.screen is Screen.ATTRACT:
            self.go(Screen.OUT_OF_SERVICE)
        elif not out and self.state.screen is Screen.OUT_OF_SERVICE:
            self.go(Screen.ATTRACT)

    # ----------------------------------------------------------------- errors
    def error_message(self, exc: BaseException, extra_key: str | None = None) -> Message:
        return error_message(exc, self.state.language, extra_key)

    def fail_to_remove_card(self, exc: BaseException) -> None:
        """An error before the menu: show it, then ask for the card (the session cannot go on)."""
        if isinstance(exc, CardError) and exc.kind is CardErrorKind.REMOVED:
            self._on_card_removed()
            return
        self.end_with_message(self.error_message(exc))

    def fail_to_menu(self, exc: BaseException) -> None:
        self.show_message(self.error_message(exc), then=Screen.MENU)
