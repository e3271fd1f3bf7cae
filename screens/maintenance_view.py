"""The staff's maintenance screen, rendered from ``KioskState.staff`` (kiosk.staff_screen).

Locked: the staff PIN's dots and a keypad. Unlocked: terminal id, app version, printer and card
reader state, the last action's answer, and 打印测试页 / 维护模式 / 离开. Every touch is an intent
to ``controller.staff_screen``; the view keeps nothing of its own.
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

KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "delete", "0", "ok"]


class MaintenanceView(BaseView):
    def build(self) -> None:
        self.body.orientation = "horizontal"
        staff = self.controller.staff_screen
        left = BoxLayout(orientation="vertical", spacing=dp(16))
        self.title = make("TitleLabel")
        self.info = KioskLabel(halign="left")
        self.error = KioskLabel(color=theme.ERROR_TEXT)
        for widget in (self.title, self.info, self.error, Widget()):
            left.add_widget(widget)
        self.actions = BoxLayout(size_hint_y=None, height=dp(110), spacing=dp(16))
        self.actions.add_widget(self.button("staff:test_page", staff.print_test_page))
        self.actions.add_widget(self.button("staff:maintenance", staff.toggle_maintenance, rule="SecondaryButton"))
        left.add_widget(self.actions)
        left.add_widget(self.button("staff:leave", staff.leave, rule="SecondaryButton"))
        self.body.add_widget(left)
        self.pad = GridLayout(cols=3, spacing=dp(12), size_hint_x=None, width=dp(420))
        for key in KEYPAD:
            if key.isdigit():
                action = lambda key=key: staff.digit(key)  # noqa: E731
            else:
                action = staff.delete if key == "delete" else staff.submit
            self.pad.add_widget(self.button(f"staff:{key}", action, rule="PinKey", text=key, size_hint_y=1))
        self.body.add_widget(self.pad)

    def _show(self, widget: Widget, shown: bool) -> None:
        widget.opacity = 1 if shown else 0
        widget.disabled = not shown

    def update(self, state: KioskState) -> None:
        lang = state.language
        view = state.staff
        unlocked = view is not None and view.unlocked
        self.title.text = tr("staff.title", lang)
        self.intents["staff:delete"].text = tr("key.delete", lang)
        self.intents["staff:ok"].text = tr("key.ok", lang)
        self.intents["staff:test_page"].text = tr("staff.test_page", lang)
        self.intents["staff:leave"].text = tr("staff.leave", lang)
        maintenance = N_("staff.maintenance_off") if view and view.out_of_service else N_("staff.maintenance_on")
        self.intents["staff:maintenance"].text = tr(maintenance, lang)
        self._show(self.actions, unlocked)
        self.pad.width = 0 if unlocked else dp(420)
        self._show(self.pad, not unlocked)
        self.error.text = message_text(view.message, lang) if view else ""
        if view is None:
            self.info.text = ""
        elif not unlocked:
            self.info.text = tr("staff.pin_prompt", lang) + "\n" + "● " * view.pin_length
        else:
            card_key = N_("staff.card_in") if view.card_present else N_("staff.card_out")
            card = "-" if view.card_present is None else tr(card_key, lang)
            mode_key = N_("staff.mode_out") if view.out_of_service else N_("staff.mode_in")
            self.info.text = tr(
                "staff.info",
                lang,
                terminal=view.terminal_id,
                version=view.version,
                printer=tr(state.printer_status.reason_key, lang),
                card=card,
                mode=tr(mode_key, lang),
                result=view.result or "-",
            )
