"""The 修改社保卡密码 screen (kiosk.flows.change_pin): the step's prompt, the typed digits as dots,
the step's message, and the same PIN pad as the sign-in screen (``PinKey`` keys, 3 × 4), its
digits in the order the flow gives (``ui.shuffled_pin_pad``). Never the operating system's keyboard.

Every key sends an intent to the controller; the view keeps no digit: it shows ``pin_length`` dots.
"""

from __future__ import annotations

import logging

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.i18n import N_, tr
from kiosk.state import KioskState
from screens import theme
from screens.views import BaseView, message_text
from screens.widgets import KioskLabel, make

logger = logging.getLogger(__name__)

STEP_PROMPTS = {
    "old": N_("change_pin.step.old"),
    "new": N_("change_pin.step.new"),
    "again": N_("change_pin.step.again"),
}
# Pad slots: nine digits, 清除, the tenth digit, 删除 (the sign-in pad's layout).
SLOTS = 12


class ChangePinView(BaseView):
    """Prompt, dots, message, OK and 返回 / 首页 on the left; the PIN pad on the right. 返回 is one
    step back (kiosk.flows.change_pin), 首页 the menu, as on the other screens of a service."""

    def build(self) -> None:
        self.body.orientation = "horizontal"
        left = BoxLayout(orientation="vertical", spacing=dp(16))
        self.title = make("TitleLabel")
        self.prompt = KioskLabel()
        self.dots = make("TitleLabel")
        self.error = KioskLabel(color=theme.ERROR_TEXT)
        left.add_widget(Widget())
        for widget in (self.title, self.prompt, self.dots, self.error):
            left.add_widget(widget)
        left.add_widget(Widget())
        left.add_widget(self.button("pin:ok", lambda: self.controller.intent("submit")))
        row = BoxLayout(size_hint_y=None, height=dp(110), spacing=dp(16))
        row.add_widget(self.button("back", lambda: self.controller.intent("back"), rule="SecondaryButton"))
        row.add_widget(self.button("home", self.controller.back_to_menu, rule="SecondaryButton"))
        left.add_widget(row)
        self.body.add_widget(left)
        pad = GridLayout(cols=3, spacing=dp(12), size_hint_x=None, width=dp(480))
        self.digit_keys = []
        for slot in range(SLOTS):
            if slot == 9:
                pad.add_widget(
                    self.button("pin:clear", lambda: self.controller.intent("clear"), rule="PinKey", size_hint_y=1)
                )
            elif slot == 11:
                pad.add_widget(
                    self.button("pin:delete", lambda: self.controller.intent("delete"), rule="PinKey", size_hint_y=1)
                )
            else:
                key = make("PinKey", size_hint_y=1)
                key.bind(on_release=lambda widget: self.controller.intent("digit", widget.text))
                self.digit_keys.append(key)
                pad.add_widget(key)
        self.body.add_widget(pad)

    def update(self, state: KioskState) -> None:
        lang = state.language
        view = state.change_pin
        self.title.text = tr("service.change_pin", lang)
        if view is None:  # between the flow's end and the next screen: show nothing of the resident
            self.prompt.text = self.dots.text = self.error.text = ""
            return
        self.prompt.text = tr(STEP_PROMPTS.get(view.step, "change_pin.step.old"), lang)
        self.dots.text = " ".join(["●"] * view.pin_length + ["○"] * (6 - view.pin_length))
        self.error.text = message_text(view.message, lang)
        for widget, digit in zip(self.digit_keys, view.keys, strict=True):
            widget.text = digit
            self.intents[f"pin:{digit}"] = widget
        self.intents["pin:clear"].text = tr("key.clear", lang)
        self.intents["pin:delete"].text = tr("key.delete", lang)
        self.intents["pin:ok"].text = tr("key.ok", lang)
        self.intents["back"].text = tr("key.back", lang)
        self.intents["home"].text = tr("key.home", lang)
