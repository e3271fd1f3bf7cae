"""The resident session: a state machine driven by intents (screens) and device events.

    ATTRACT ─card in─▶ READING ─read ok─▶ PIN ─PIN ok + server session─▶ MENU ⇄ RECORDS / PRINT_PREVIEW
       ▲                  │ error            │ blocked / too many            │ finish
       │                  ▼                  ▼                              ▼
       └──card out── REMOVE_CARD ◀──────── MESSAGE ◀────────────────── (any error)

Card removal in any state ends the session at once. Idle for ``idle_timeout`` seconds shows a
countdown; when it runs out the session ends. Every blocking call runs on the worker; results
come back through the worker's ``post`` and are dropped when the session they belong to has ended
(``_generation``), so a late answer can never show one resident's data to the next.

All public methods must be called on the UI thread, except ``card_inserted``/``card_removed``,
which any thread may call (they re-post themselves).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from common.ssn import mask_ssn
from kiosk.announcements import AnnouncementBoard, utc_now
from kiosk.config import KioskConfig
from kiosk.errors import BackendRejected, CardError, CardErrorKind, KioskError, PrinterError
from kiosk.face_flow import FaceVerificationFlow
from kiosk.i18n import tr
from kiosk.models import CardData, PinResult
from kiosk.ports import Backend, CardPort, CardSession, FacePort, PreviewPort, PrinterPort
from kiosk.services import CATALOGUE, contribution_records, insurance_records, period_back
from kiosk.state import KioskState, MenuItem, Message, Screen
from kiosk.worker import Worker

logger = logging.getLogger(__name__)

Listener = Callable[[KioskState], None]
PIN_LENGTH = 6


class KioskController(FaceVerificationFlow):
    def __init__(
        self,
        config: KioskConfig,
        worker: Worker,
        card: CardPort,
        backend: Backend,
        printer: PrinterPort,
        render_preview: PreviewPort,
        journal: Any = None,
        clock: Callable[[], float] = time.monotonic,
        document_builder: Callable[[dict, str], Any] | None = None,
        face: FacePort | None = None,
        wall_clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.config = config
        self._worker = worker
        self._card_port = card
        self._backend = backend
        self._printer = printer
        self._render_preview = render_preview
        self._journal = journal
        self._clock = clock
        if document_builder is None:
            from kiosk.layouts import build_certificate_document as document_builder
        self._build_document = document_builder
        self._face = face
        self.state = KioskState(language=config.terminal.language, face_available=face is not None)
        self._listeners: list[Listener] = []
        self._generation = 0
        self._card_session: CardSession | None = None
        self._card: CardData | None = None
        self._session_id: str | None = None
        self._pin_digits: list[str] = []
        self._pin_failures = 0
        self._pending_document: Any = None
        self._pending_certificate: dict | None = None
        self._last_touch = clock()
        self._message_until: float | None = None
        self._message_next = Screen.MENU
        self._out_of_service = False
        # Announcement windows are wall-clock times; rotation is timed by ``clock`` like the rest.
        self._announcements = AnnouncementBoard(wall_clock)
        self._sync_announcements(rotating=False)
        self.sessions_started = 0
        self.prints_done = 0

    # ----------------------------------------------------------------- observation
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)
        listener(self.state.snapshot())

    def _publish(self) -> None:
        self._sync_announcements(rotating=False)
        snapshot = self.state.snapshot()
        for listener in list(self._listeners):
            listener(snapshot)

    def _go(self, screen: Screen) -> None:
        if screen is Screen.ATTRACT:
            # The next resident starts in the terminal's language; the one leaving keeps theirs until
            # the card is out, so the last messages ("please take your card") are in words they read.
            self.state.language = self.config.terminal.language
        self.state.screen = screen
        self._publish()

    def _tr(self, key: str, **params: Any) -> str:
        return tr(key, self.state.language, **params)

    # ----------------------------------------------------------------- device events
    def card_inserted(self) -> None:
        self._worker.post(self._on_card_inserted)

    def card_removed(self) -> None:
        self._worker.post(self._on_card_removed)

    def _on_card_inserted(self) -> None:
        if self._out_of_service or self.state.screen is not Screen.ATTRACT:
            return
        self._generation += 1
        gen = self._generation
        self._touch()
        self.state.busy_message = Message("reading.title")
        self._go(Screen.READING)

        def read() -> tuple[CardSession, CardData]:
            session = self._card_port.open_card()
            try:
                return session, session.read()
            except BaseException:
                session.close()
                raise

        self._worker.submit(read, self._guard(gen, self._card_read), self._guard(gen, self._fail_to_remove_card))

    def _card_read(self, result: tuple[CardSession, CardData]) -> None:
        self._card_session, self._card = result
        logger.info("card read: %s", self._card.masked())
        self.state.resident_name = self._card.name
        self.state.session_active = True
        self._pin_digits.clear()
        self._pin_failures = 0
        self.state.pin_length = 0
        self.state.pin_message = None
        self._go(Screen.PIN)

    def _on_card_removed(self) -> None:
        if self.state.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE):
            return
        screen = self.state.screen
        # Expected when we asked for the card, or while saying why we are about to ask for it.
        was_expected = screen is Screen.REMOVE_CARD or (
            screen is Screen.MESSAGE and self._message_next is Screen.REMOVE_CARD
        )
        self._end_session()
        if was_expected:
            self._go(Screen.ATTRACT)
        else:
            self._show_message(Message("card.removed", is_error=True), then=Screen.ATTRACT)

    # ----------------------------------------------------------------- PIN pad
    def pin_digit(self, digit: str) -> None:
        self._touch()
        if self.state.screen is not Screen.PIN or not digit.isdigit() or len(digit) != 1:
            return
        if len(self._pin_digits) < PIN_LENGTH:
            self._pin_digits.append(digit)
            self.state.pin_length = len(self._pin_digits)
            self._publish()

    def pin_delete(self) -> None:
        self._touch()
        if self.state.screen is Screen.PIN and self._pin_digits:
            self._pin_digits.pop()
            self.state.pin_length = len(self._pin_digits)
            self._publish()

    def pin_clear(self) -> None:
        self._touch()
        if self.state.screen is Screen.PIN:
            self._pin_digits.clear()
            self.state.pin_length = 0
            self._publish()

    def pin_submit(self) -> None:
        self._touch()
        if self.state.screen is not Screen.PIN or self._card_session is None:
            return
        if len(self._pin_digits) != PIN_LENGTH:
            self.state.pin_message = Message("card.pin_format", is_error=True)
            self._publish()
            return
        pin = "".join(self._pin_digits)
        self._pin_digits.clear()  # the PIN lives only until VERIFY is sent
        self.state.pin_length = 0
        self.state.busy_message = Message("pin.verifying")
        self._go(Screen.BUSY)
        gen, card_session = self._generation, self._card_session
        self._worker.submit(
            lambda: card_session.verify_pin(pin),
            self._guard(gen, self._pin_checked),
            self._guard(gen, self._fail_to_remove_card),
        )

    def _pin_checked(self, result: PinResult) -> None:
        if result.blocked:
            self._end_with_message(Message("card.pin_blocked", is_error=True))
            return
        if not result.ok:
            self._pin_failures += 1
            if self._pin_failures >= self.config.session.max_pin_attempts:
                self._end_with_message(Message("pin.too_many", is_error=True))
                return
            tries = result.tries_left if result.tries_left is not None else "?"
            self.state.pin_message = Message("pin.wrong", {"tries": tries}, is_error=True)
            self._go(Screen.PIN)
            return
        card = self._card
        if card is None:
            return
        gen = self._generation
        self.state.pin_message = None
        self._worker.submit(
            lambda: self._backend.start_session(card.ssn, card.card_number, "card_pin"),
            self._guard(gen, self._session_started),
            self._guard(gen, self._fail_to_remove_card),
        )

    def _session_started(self, answer: dict) -> None:
        self._session_id = str(answer["session_id"])
        self.sessions_started += 1
        logger.info("resident session started for %s", mask_ssn(self._card.ssn if self._card else ""))
        self._enter_menu()

    # ----------------------------------------------------------------- menu and services
    def _enter_menu(self) -> None:
        self.state.records = None
        self.state.preview_png = None
        self._pending_document = None
        self._pending_certificate = None
        self._build_menu()
        self._go(Screen.MENU)
        self.refresh_printer_status()

    def _build_menu(self) -> None:
        printer_ok = self.state.printer_status in ("READY", "PAPER_NEAR_END", "UNKNOWN")
        items = []
        for name in self.config.services.enabled:
            service = CATALOGUE[name]
            if service.prints and not printer_ok:
                reason = Message(
                    "service.printing_unavailable", {"reason_key": f"printer.{self.state.printer_status.lower()}"}
                )
                items.append(MenuItem(name, enabled=False, reason=reason))
            else:
                items.append(MenuItem(name, enabled=True))
        self.state.menu = items

    def refresh_printer_status(self) -> None:
        """Ask the printer for its state (worker) and enable/disable print services accordingly."""

        def done(status: Any) -> None:
            self.state.printer_status = status.name
            self._build_menu()
            self._publish()

        def failed(exc: BaseException) -> None:
            self.state.printer_status = "OFFLINE"
            self._build_menu()
            self._publish()

        self._worker.submit(self._printer.status, done, failed)

    def choose_service(self, name: str) -> None:
        self._touch()
        if self.state.screen is not Screen.MENU or self._session_id is None:
            return
        item = next((entry for entry in self.state.menu if entry.service == name), None)
        if item is None or not item.enabled:
            logger.info("service %s not offered now", name)
            return
        logger.info("service chosen: %s", name)
        service = CATALOGUE[name]
        sid, gen, lang = self._session_id, self._generation, self.state.language
        self.state.busy_message = Message("print.issuing" if service.prints else "loading")
        self._go(Screen.BUSY)
        if name == "insurance_info":
            self._worker.submit(
                lambda: insurance_records(self._backend.insurance(sid), lang),
                self._guard(gen, self._show_records),
                self._guard(gen, self._fail_to_menu),
            )
        elif name == "contributions":
            start, end = period_back(service.months or 12)
            self._worker.submit(
                lambda: contribution_records(self._backend.contributions(sid, start, end), lang),
                self._guard(gen, self._show_records),
                self._guard(gen, self._fail_to_menu),
            )
        elif service.certificate_kind:
            start, end = period_back(service.months) if service.months else (None, None)
            key = str(uuid.uuid4())  # one key per resident request: a retried POST is the same certificate
            kind = service.certificate_kind
            self._worker.submit(
                lambda: self._prepare_certificate(sid, kind, start, end, key, lang),
                self._guard(gen, self._show_preview),
                self._guard(gen, self._fail_to_menu),
            )

    def _prepare_certificate(
        self, sid: str, kind: str, start: str | None, end: str | None, key: str, lang: str
    ) -> tuple[dict, Any, bytes]:
        certificate = self._backend.issue_certificate(sid, kind, start, end, idempotency_key=key)
        document = self._build_document(certificate, lang)
        return certificate, document, self._render_preview(document)

    def _show_records(self, records: Any) -> None:
        self.state.records = records
        self._go(Screen.RECORDS)

    def _show_preview(self, prepared: tuple[dict, Any, bytes]) -> None:
        self._pending_certificate, self._pending_document, self.state.preview_png = prepared
        self._go(Screen.PRINT_PREVIEW)

    def confirm_print(self) -> None:
        self._touch()
        if self.state.screen is not Screen.PRINT_PREVIEW or self._pending_document is None:
            return
        document, certificate = self._pending_document, self._pending_certificate or {}
        gen = self._generation
        self.state.busy_message = Message("print.printing")
        self._go(Screen.BUSY)
        self._worker.submit(
            lambda: self._print_with_journal(certificate, document),
            self._guard(gen, self._printed),
            self._guard(gen, self._print_failed),
        )

    def _print_with_journal(self, certificate: dict, document: Any) -> None:
        job_id = None
        if self._journal is not None:
            job_id = self._journal.record_issued(
                certificate.get("serial", ""), certificate.get("kind", ""), json.dumps(certificate, ensure_ascii=False)
            )
            self._journal.mark_sent(job_id)
        try:
            self._printer.print_document(document)
        except KioskError as exc:
            if self._journal is not None and job_id is not None:
                self._journal.mark_failed(job_id, exc.detail or exc.message_key)
            raise
        if self._journal is not None and job_id is not None:
            self._journal.mark_confirmed(job_id)

    def _printed(self, _: Any) -> None:
        self.prints_done += 1
        self.state.preview_png = None
        self._pending_document = None
        self._show_message(Message("print.done"), then=Screen.MENU)

    def _print_failed(self, exc: BaseException) -> None:
        if isinstance(exc, PrinterError):
            self.state.printer_status = exc.status
        self._build_menu()
        self.state.preview_png = None
        self._pending_document = None
        self._show_message(self._error_message(exc, extra_key="print.failed_kept"), then=Screen.MENU)

    def back_to_menu(self) -> None:
        self._touch()
        if self.state.screen in (Screen.RECORDS, Screen.PRINT_PREVIEW, Screen.MESSAGE) and self._session_id:
            self._message_until = None
            self._enter_menu()

    def set_language(self, language: str) -> None:
        self._touch()
        if language in ("zh_CN", "zh_TW", "en"):
            self.state.language = language
            self._publish()

    # ----------------------------------------------------------------- ending
    def finish(self) -> None:
        """The resident is done: end the session and ask for the card."""
        self._touch()
        if self.state.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE, Screen.REMOVE_CARD):
            return
        self._end_session()
        self._go(Screen.REMOVE_CARD)

    def _end_session(self) -> None:
        self._generation += 1  # answers still in flight now belong to nobody
        if self.state.screen is Screen.FACE and self._face is not None:
            self._face.cancel()
        session_id, card_session = self._session_id, self._card_session
        self._session_id = None
        self._card_session = None
        self._card = None
        self._pin_digits.clear()
        self._pending_document = None
        self._pending_certificate = None
        self._message_until = None
        self.state.clear_resident()

        def close() -> None:
            if card_session is not None:
                card_session.close()
            if session_id is not None:
                self._backend.end_session(session_id)

        self._worker.submit(close, lambda _: None, lambda exc: logger.warning("closing session: %s", exc))

    # ----------------------------------------------------------------- idle and messages
    def touch(self) -> None:
        """Any touch on the screen: resets the idle timer and dismisses the countdown."""
        self._touch()
        if self.state.countdown is not None:
            self.state.countdown = None
            self._publish()

    def _touch(self) -> None:
        self._last_touch = self._clock()

    def _sync_announcements(self, rotating: bool) -> bool:
        """Copy the announcements in force (and the one on show) into the state; True if they changed."""
        changed = self._announcements.update(
            self.config.announcements, self.state.language, self._clock(), rotating=rotating
        )
        self.state.announcements = list(self._announcements.notices)
        self.state.announcement_index = self._announcements.index
        return changed

    def tick(self) -> None:
        """Called about once a second by the UI: idle countdown, timed messages, and announcements
        (time windows opening or closing, rotation on the attract screen)."""
        now = self._clock()
        if self._sync_announcements(rotating=self.state.screen is Screen.ATTRACT):
            self._publish()
        if self._message_until is not None and now >= self._message_until:
            self._message_until = None
            target = self._message_next
            if target is Screen.MENU and self._session_id:
                self._enter_menu()
            else:
                self._go(target)
            return
        if self.state.screen in (
            Screen.ATTRACT,
            Screen.OUT_OF_SERVICE,
            Screen.REMOVE_CARD,
            Screen.READING,
            Screen.BUSY,
            Screen.FACE,
        ):
            return
        idle = now - self._last_touch
        limit = self.config.session.idle_timeout
        if idle < limit:
            if self.state.countdown is not None:
                self.state.countdown = None
                self._publish()
            return
        remaining = int(limit + self.config.session.countdown - idle + 0.999)
        if remaining <= 0:
            logger.info("session ended after %d s without a touch", int(idle))
            self.state.countdown = None
            self._end_session()
            self._go(Screen.REMOVE_CARD)
        elif remaining != self.state.countdown:
            self.state.countdown = remaining
            self._publish()

    def _show_message(self, message: Message, then: Screen) -> None:
        self.state.message = message
        self._message_next = then
        self._message_until = self._clock() + self.config.session.message_seconds
        self._go(Screen.MESSAGE)

    def apply_config(self, config: KioskConfig) -> None:
        """A new effective config (remote bundle) that can apply without a restart: services, timeouts,
        language, announcements. The fleet agent only offers it while no resident is being served."""
        self.config = config
        if not self.state.session_active:
            self.state.language = config.terminal.language
        self._build_menu()
        self._publish()

    def set_out_of_service(self, out: bool) -> None:
        self._out_of_service = out
        if out and self.state.screen is Screen.ATTRACT:
            self._go(Screen.OUT_OF_SERVICE)
        elif not out and self.state.screen is Screen.OUT_OF_SERVICE:
            self._go(Screen.ATTRACT)

    # ----------------------------------------------------------------- errors
    def _guard(self, gen: int, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """Drop results that arrive after their session ended."""

        def guarded(value: Any) -> None:
            if gen == self._generation:
                callback(value)
            else:
                logger.debug("dropped a late result of an ended session")

        return guarded

    def _error_message(self, exc: BaseException, extra_key: str | None = None) -> Message:
        if isinstance(exc, BackendRejected):
            reason = exc.message_en if self.state.language == "en" else exc.message_zh
            return Message("backend.rejected", {"reason": reason or exc.code}, is_error=True)
        if isinstance(exc, KioskError):
            logger.warning("%s: %s", type(exc).__name__, exc.detail)
            params = {"then_key": extra_key} if extra_key else {}
            return Message(exc.message_key, params, is_error=True)
        logger.exception("unexpected error", exc_info=exc)
        return Message("error.generic", is_error=True)

    def _fail_to_remove_card(self, exc: BaseException) -> None:
        """An error before the menu: show it, then ask for the card (the session cannot go on)."""
        if isinstance(exc, CardError) and exc.kind is CardErrorKind.REMOVED:
            self._on_card_removed()
            return
        self._end_with_message(self._error_message(exc))

    def _end_with_message(self, message: Message) -> None:
        """End the session (nothing of the resident stays), explain why, then ask for the card."""
        self._end_session()
        self._show_message(message, then=Screen.REMOVE_CARD)

    def _fail_to_menu(self, exc: BaseException) -> None:
        self._show_message(self._error_message(exc), then=Screen.MENU)
