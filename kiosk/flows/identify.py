"""Identification by 社会保障卡 and PIN: READING → PIN → (VERIFY on the card) → card proof → server session → menu.

The PIN exists only as digits typed on this pad until VERIFY is sent; it is never published in the
state (only its length) and never leaves the terminal. After a good VERIFY the card answers the
gateway's challenge with its cardholder key (kiosk.card_sign_in): that proof, not the terminal's
word, opens the session. A blocked card, or too many wrong PINs at
this terminal, ends the session with the reason; the card stays the way back in.
"""

from __future__ import annotations

import logging

from kiosk.card_sign_in import sign_in_with_pin
from kiosk.models import CardData, PinResult
from kiosk.pin_policy import PIN_LENGTH
from kiosk.ports import CardPort, CardSession
from kiosk.session import Flow, FlowHost
from kiosk.state import Message, Screen

logger = logging.getLogger(__name__)


class PinPadIntents:
    """The sign-in PIN pad's intents, as the controller offers them to the screens (a mixin of
    kiosk.controller.KioskController): each counts as a touch and goes to the identification flow."""

    _identify: Flow | None

    def touch(self) -> None:
        raise NotImplementedError

    def pin_digit(self, digit: str) -> None:
        self._identify_intent("digit", digit)

    def pin_delete(self) -> None:
        self._identify_intent("delete")

    def pin_clear(self) -> None:
        self._identify_intent("clear")

    def pin_submit(self) -> None:
        self._identify_intent("submit")

    def _identify_intent(self, intent: str, value: str = "") -> None:
        self.touch()
        if self._identify is not None:
            self._identify.handle(intent, value)


class CardPinFlow(Flow):
    """Reads the inserted card, takes the PIN on the pad and opens the resident's server session."""

    def __init__(self, host: FlowHost, card_port: CardPort) -> None:
        super().__init__(host)
        self._card_port = card_port
        self._digits: list[str] = []

    def start(self) -> None:
        self.host.state.busy_message = Message("reading.title")
        self.host.go(Screen.READING)
        card_port = self._card_port

        def read() -> tuple[CardSession, CardData]:
            session = card_port.open_card()
            try:
                return session, session.read()
            except BaseException:
                session.close()
                raise

        self.host.run(read, self._card_read, self.host.fail_to_remove_card)

    def _card_read(self, result: tuple[CardSession, CardData]) -> None:
        session = self.host.session
        session.card_session, session.card = result
        logger.info("card read: %s", session.card.masked())
        state = self.host.state
        state.resident_name = session.card.name
        state.session_active = True
        self._set_digits([])
        state.pin_message = None
        self.host.go(Screen.PIN)

    def _set_digits(self, digits: list[str]) -> None:
        self._digits = digits
        self.host.state.pin_length = len(digits)

    def handle(self, intent: str, value: str = "") -> None:
        if self.host.state.screen is not Screen.PIN:
            return
        if intent == "digit":
            if len(value) == 1 and value.isdigit() and len(self._digits) < PIN_LENGTH:
                self._set_digits([*self._digits, value])
                self.host.publish()
        elif intent == "delete":
            if self._digits:
                self._set_digits(self._digits[:-1])
                self.host.publish()
        elif intent == "clear":
            self._set_digits([])
            self.host.publish()
        elif intent == "submit":
            self._submit()

    def cancel(self) -> None:
        self._digits = []

    def _submit(self) -> None:
        card_session = self.host.session.card_session
        if card_session is None:
            return
        state = self.host.state
        if len(self._digits) != PIN_LENGTH:
            state.pin_message = Message("card.pin_format", is_error=True)
            self.host.publish()
            return
        pin = "".join(self._digits)
        self._set_digits([])  # the PIN lives only until VERIFY is sent
        state.busy_message = Message("pin.verifying")
        self.host.go(Screen.BUSY)
        self.host.run(lambda: card_session.verify_pin(pin), self._pin_checked, self.host.fail_to_remove_card)

    def _pin_checked(self, result: PinResult) -> None:
        host, session = self.host, self.host.session
        if result.blocked:
            host.end_with_message(Message("card.pin_blocked", is_error=True))
            return
        if not result.ok:
            session.pin_failures += 1
            if session.pin_failures >= host.config.session.max_pin_attempts:
                host.end_with_message(Message("pin.too_many", is_error=True))
                return
            tries = result.tries_left if result.tries_left is not None else "?"
            host.state.pin_message = Message("pin.wrong", {"tries": tries}, is_error=True)
            host.go(Screen.PIN)
            return
        card, card_session = session.card, session.card_session
        if card is None or card_session is None:
            return
        host.state.pin_message = None
        backend = host.backend
        host.run(lambda: sign_in_with_pin(backend, card_session, card), host.signed_in, host.fail_to_remove_card)
