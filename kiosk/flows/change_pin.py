"""修改社保卡密码: old PIN → new PIN → new PIN again → CHANGE PIN on the card → result.

Contract:
- the PINs exist only as digits typed on this pad, held by this flow (never in KioskState: the
  state carries the step and the number of digits), and only until the step that needs them is
  done; CHANGE PIN goes to the card in the reader, nothing goes to the gateway or the log;
- a new PIN that kiosk.pin_policy refuses (not 6 digits, 000000, 123456, the birth date on the
  card) is refused on the "new" step, before anything reaches the card;
- the two new PINs differ: "change_pin.mismatch", back to the "new" step;
- a wrong old PIN: "pin.wrong" with the card's tries left, back to the "old" step; a blocked card
  ends the session with "card.pin_blocked" (bring the ID card to a counter);
- done: "change_pin.done" then the menu. ``ui.shuffled_pin_pad`` gives each step a new key order;
- 返回 (``back``) is one step back (again → new → old, the PINs of the steps left typed again),
  from the first step to the menu; 首页 (the controller's back_to_menu) always the menu.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from kiosk.errors import CardError, CardErrorKind
from kiosk.models import PinResult
from kiosk.pin_policy import PIN_LENGTH, pin_refusal
from kiosk.session import Flow, FlowHost
from kiosk.state import ChangePinView, Message, Screen

logger = logging.getLogger(__name__)

DIGITS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
STEPS = ("old", "new", "again")


class ChangePinFlow(Flow):
    """The 修改密码 service (catalogue entry ``change_pin``)."""

    def __init__(self, host: FlowHost, spec: Any = None) -> None:
        super().__init__(host)
        self._digits: list[str] = []
        self._old = ""
        self._new = ""

    def start(self) -> None:
        self._forget()
        self._step("old")

    # ------------------------------------------------------------------ the pad
    def _view(self) -> ChangePinView:
        view = self.host.state.change_pin
        if view is None:
            view = self.host.state.change_pin = ChangePinView()
        return view

    def _keys(self) -> tuple[str, ...]:
        if not self.host.config.ui.shuffled_pin_pad:
            return DIGITS
        keys = list(DIGITS)
        for i in range(len(keys) - 1, 0, -1):  # Fisher-Yates with the system's CSPRNG
            j = secrets.randbelow(i + 1)
            keys[i], keys[j] = keys[j], keys[i]
        return tuple(keys)

    def _step(self, step: str, message: Message | None = None) -> None:
        self._digits = []
        view = self._view()
        view.step, view.pin_length, view.message, view.keys = step, 0, message, self._keys()
        self.host.go(Screen.CHANGE_PIN)

    def handle(self, intent: str, value: str = "") -> None:
        if self.host.state.screen is not Screen.CHANGE_PIN:
            return
        view = self._view()
        if intent == "digit":
            if len(value) == 1 and value in DIGITS and len(self._digits) < PIN_LENGTH:
                self._digits.append(value)
        elif intent == "delete":
            self._digits = self._digits[:-1]
        elif intent == "clear":
            self._digits = []
        elif intent == "submit":
            self._submit(view)
            return
        elif intent == "back":
            self._back(view)
            return
        else:
            return
        view.pin_length = len(self._digits)
        self.host.publish()

    def _back(self, view: ChangePinView) -> None:
        if view.step == "again":
            self._new = ""
            self._step("new")
        elif view.step == "new":
            self._old = ""
            self._step("old")
        else:
            self.host.enter_menu()

    def _submit(self, view: ChangePinView) -> None:
        typed = "".join(self._digits)
        self._digits = []
        if len(typed) != PIN_LENGTH:
            view.pin_length, view.message = 0, Message("card.pin_format", is_error=True)
            self.host.publish()
            return
        if view.step == "old":
            self._old = typed
            self._step("new")
        elif view.step == "new":
            card = self.host.session.card
            refusal = pin_refusal(typed, card.birth_date if card is not None else None)
            if refusal is not None:
                self._step("new", Message(refusal, is_error=True))
                return
            self._new = typed
            self._step("again")
        elif typed != self._new:
            self._new = ""
            self._step("new", Message("change_pin.mismatch", is_error=True))
        else:
            self._send()

    # ------------------------------------------------------------------ the card
    def _send(self) -> None:
        card_session = self.host.session.card_session
        old, new = self._old, self._new
        self._forget()  # the flow keeps no PIN once CHANGE PIN is on its way
        if card_session is None:  # a cardless (电子社保卡) session has no card to change
            self.host.enter_menu()
            return
        self.host.state.change_pin = None
        self.host.state.busy_message = Message("change_pin.working")
        self.host.go(Screen.BUSY)
        self.host.run(lambda: card_session.change_pin(old, new), self._changed, self._failed)

    def _changed(self, result: PinResult) -> None:
        if result.ok:
            logger.info("change_pin: PIN changed on the card")
            self.host.show_message(Message("change_pin.done"), then=Screen.MENU)
        elif result.blocked:
            self.host.end_with_message(Message("card.pin_blocked", is_error=True))
        else:
            tries = result.tries_left if result.tries_left is not None else "?"
            self._step("old", Message("pin.wrong", {"tries": tries}, is_error=True))

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, CardError) and exc.kind in (CardErrorKind.PIN_TRIVIAL, CardErrorKind.PIN_FORMAT):
            self._step("new", Message(exc.message_key, is_error=True))
            return
        self.host.fail_to_remove_card(exc)

    def _forget(self) -> None:
        self._digits, self._old, self._new = [], "", ""

    def cancel(self) -> None:
        self._forget()
        self.host.state.change_pin = None
