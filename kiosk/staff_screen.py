"""The maintenance screen's intents: the hidden gesture, the staff PIN and the staff's actions.

Five taps in the screen's top-left corner within 3 s (kiosk.staff_access.CornerTaps), on the
attract or out-of-service screen only, open Screen.MAINTENANCE asking for the staff PIN. With no
usable ``ui.staff_pin_hash`` the gesture does nothing (logged once). The PIN is checked on the
worker; after ``MAX_PIN_TRIES`` wrong ones the screen closes and the gesture sleeps for
``LOCKOUT_SECONDS``. Unlocked, the screen shows the terminal id, the app version, the printer's
and the card reader's state, and lets staff print a test page (through the staff intents, as the
fleet console does), switch maintenance mode and leave. Untouched for ``session.idle_timeout``
seconds it leaves by itself. Every method runs on the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiosk.ports import CardPort
from kiosk.staff_access import MAX_PIN_TRIES, PIN_MAX_LENGTH, CornerTaps, app_version, hash_refusal, verify_pin
from kiosk.state import Message, Screen, StaffView

logger = logging.getLogger(__name__)

LOCKOUT_SECONDS = 300.0
GESTURE_SCREENS = (Screen.ATTRACT, Screen.OUT_OF_SERVICE)


class StaffScreen:
    """The maintenance screen of one kiosk core (``core``: the KioskController)."""

    def __init__(self, core: Any, card: CardPort, clock: Callable[[], float]) -> None:
        self._core = core
        self._card = card
        self._clock = clock
        self._taps = CornerTaps()
        self._pin = ""
        self._tries = 0
        self._locked_until = 0.0
        self._last_touch = 0.0
        self._refusal_logged = False

    # ----------------------------------------------------------------- the way in
    def corner_tap(self) -> None:
        """A tap in the hidden corner; the fifth within the window opens the PIN prompt."""
        core = self._core
        if core.state.screen not in GESTURE_SCREENS or not core.is_idle():
            return
        refusal = hash_refusal(core.config.ui.staff_pin_hash)
        if refusal is not None:
            if not self._refusal_logged:
                logger.warning("staff gesture disabled: %s", refusal)
                self._refusal_logged = True
            return
        now = self._clock()
        if not self._taps.tap(now) or now < self._locked_until:
            return
        logger.info("staff gesture: asking for the staff PIN")
        self._pin, self._tries, self._last_touch = "", 0, now
        core.state.staff = StaffView(terminal_id=core.config.terminal.id, version=app_version())
        core.go(Screen.MAINTENANCE)

    def _view(self) -> StaffView | None:
        self._last_touch = self._clock()
        core = self._core
        return core.state.staff if core.state.screen is Screen.MAINTENANCE else None

    def digit(self, digit: str) -> None:
        view = self._view()
        if view is None or view.unlocked or not digit.isdigit() or len(self._pin) >= PIN_MAX_LENGTH:
            return
        self._pin += digit
        view.pin_length, view.message = len(self._pin), None
        self._core.publish()

    def delete(self) -> None:
        view = self._view()
        if view is None or view.unlocked:
            return
        self._pin = self._pin[:-1]
        view.pin_length = len(self._pin)
        self._core.publish()

    def submit(self) -> None:
        view = self._view()
        if view is None or view.unlocked or not self._pin:
            return
        pin, stored = self._pin, self._core.config.ui.staff_pin_hash
        self._pin = ""
        self._core.run(lambda: verify_pin(pin, stored), self._checked, self._check_failed)

    def _checked(self, ok: bool) -> None:
        view = self._view()
        if view is None:
            return
        view.pin_length = 0
        if ok:
            logger.info("staff signed in at the terminal")
            view.unlocked, view.message = True, None
            view.out_of_service = self._core.out_of_service
            self._core.refresh_printer_status()
            self._core.run(self._card.card_present, self._card_answer, lambda exc: None)
        else:
            self._tries += 1
            logger.warning("wrong staff PIN (%d of %d)", self._tries, MAX_PIN_TRIES)
            if self._tries >= MAX_PIN_TRIES:
                self._locked_until = self._clock() + LOCKOUT_SECONDS
                self.leave()
                return
            view.message = Message("staff.pin_wrong", {"tries": MAX_PIN_TRIES - self._tries}, is_error=True)
        self._core.publish()

    def _check_failed(self, exc: BaseException) -> None:
        logger.warning("staff PIN check failed: %s", exc)
        self._checked(False)

    def _card_answer(self, present: bool) -> None:
        view = self._view()
        if view is not None:
            view.card_present = bool(present)
            self._core.publish()

    # ----------------------------------------------------------------- the staff's actions
    def print_test_page(self) -> None:
        view = self._view()
        if view is None or not view.unlocked:
            return
        view.result = "..."
        self._core.publish()

        def reply(ok: bool, text: str) -> None:
            current = self._view()
            if current is not None:
                current.result = f"{'OK' if ok else 'FAILED'}: {text}"
                self._core.publish()
            self._core.refresh_printer_status()

        self._core.staff.post("print_test_page", reply)

    def toggle_maintenance(self) -> None:
        view = self._view()
        if view is None or not view.unlocked:
            return
        self._core.set_out_of_service(not self._core.out_of_service)
        view.out_of_service = self._core.out_of_service
        self._core.publish()

    def leave(self) -> None:
        """Back to the attract screen, or to out-of-service while maintenance is on."""
        core = self._core
        if core.state.screen is not Screen.MAINTENANCE:
            return
        self._pin = ""
        core.state.staff = None
        core.go(Screen.OUT_OF_SERVICE if core.out_of_service else Screen.ATTRACT)

    def tick(self) -> None:
        """Once a second: an untouched maintenance screen closes after ``session.idle_timeout``."""
        if self._core.state.screen is Screen.MAINTENANCE:
            if self._clock() - self._last_touch > self._core.config.session.idle_timeout:
                logger.info("maintenance screen left untouched: closing it")
                self.leave()
