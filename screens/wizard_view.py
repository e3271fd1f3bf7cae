"""The application wizard's screen: one step at a time, rendered from ``KioskState.wizard``.

Every step shows "第 2 步，共 4 步", the question in big type, and 返回 / 下一步 (or 提交, 打印回执);
choices are big buttons, numbers come from an on-screen keypad (never the system keyboard). The
view keeps no answer of its own: every render replaces all of it from the state.
"""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.forms import FieldKind
from kiosk.i18n import tr
from kiosk.state import KioskState, WizardStep, WizardView
from screens.views import BaseView, message_text
from screens.widgets import KioskLabel, make

KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "delete", "0", ""]


class WizardScreen(BaseView):
    def build(self) -> None:
        self.progress = KioskLabel(size_hint_y=None, height=dp(48))
        self.title = make("TitleLabel")
        self.text = KioskLabel()
        self.error = KioskLabel(color=(0.75, 0.1, 0.1, 1))
        self.inputs = BoxLayout(orientation="vertical", spacing=dp(12))
        for widget in (self.progress, self.title, self.text, self.inputs, self.error):
            self.body.add_widget(widget)
        row = BoxLayout(size_hint_y=None, height=dp(110), spacing=dp(16))
        row.add_widget(self.button("wizard:back", lambda: self.controller.intent("back"), rule="SecondaryButton"))
        row.add_widget(self.button("wizard:home", self.controller.back_to_menu, rule="SecondaryButton"))
        row.add_widget(self.button("wizard:next", self._primary))
        self.body.add_widget(row)
        self._view: WizardView | None = None

    def _primary(self) -> None:
        view = self._view
        if view is None:
            return
        if view.step is WizardStep.REVIEW:
            self.controller.intent("submit")
        elif view.step is WizardStep.RESULT:
            self.controller.intent("print")
        else:
            self.controller.intent("next")

    def update(self, state: KioskState) -> None:
        view, lang = state.wizard, state.language
        self._view = view
        self.inputs.clear_widgets()
        if view is None:
            return
        self.progress.text = tr("wizard.progress", lang, step=view.step_number, count=view.step_count)
        self.title.text = tr(f"service.{view.service}", lang)
        self.error.text = tr(view.error, lang) if view.error else message_text(view.failure, lang)
        primary = {WizardStep.REVIEW: "wizard.submit", WizardStep.RESULT: "wizard.print_receipt"}
        self.intents["wizard:next"].text = tr(primary.get(view.step, "wizard.next"), lang)
        self.intents["wizard:back"].text = tr("key.back", lang)
        self.intents["wizard:home"].text = tr("wizard.home", lang)
        getattr(self, f"_show_{view.step.value}")(view, lang)

    def _lines(self, lines: list[str]) -> None:
        self.text.text = "\n".join(lines)

    def _show_notice(self, view: WizardView, lang: str) -> None:
        self._lines([tr(view.notice_key, lang)])
        mark = "☑" if view.agreed else "☐"
        tick = self.button("wizard:tick", lambda: self.controller.intent("tick"), rule="SecondaryButton")
        tick.text = f"{mark} {tr('wizard.agree', lang)}"
        self.inputs.add_widget(tick)

    def _show_confirm(self, view: WizardView, lang: str) -> None:
        self._lines([tr("wizard.confirm_data", lang), *(f"{tr(key, lang)}：{value}" for key, value in view.resident)])

    def _show_field(self, view: WizardView, lang: str) -> None:
        question = view.question
        self._lines([tr(question.label_key, lang), f"[b]{view.value or '—'}[/b]"])
        if question.kind is FieldKind.CHOICE:
            grid = GridLayout(cols=2, spacing=dp(12))
            for choice in question.choices:
                chosen = "● " if choice.value == view.value else ""
                grid.add_widget(
                    self.button(
                        f"wizard:choice:{choice.value}",
                        lambda value=choice.value: self.controller.intent("input", value),
                        rule="SecondaryButton",
                        text=chosen + tr(choice.label_key, lang),
                    )
                )
            self.inputs.add_widget(grid)
            return
        pad = GridLayout(cols=3, spacing=dp(8))
        for key in KEYPAD:
            if not key:
                pad.add_widget(Widget())
            elif key == "delete":
                pad.add_widget(
                    self.button(
                        "wizard:key:delete",
                        lambda: self.controller.intent("delete"),
                        rule="PinKey",
                        text=tr("key.delete", lang),
                    )
                )
            else:
                pad.add_widget(
                    self.button(
                        f"wizard:key:{key}",
                        lambda key=key: self.controller.intent("type", key),
                        rule="PinKey",
                        text=key,
                    )
                )
        self.inputs.add_widget(pad)

    def _show_review(self, view: WizardView, lang: str) -> None:
        self._lines(
            [tr("wizard.review", lang)]
            + [f"{tr(label, lang)}：{tr(shown, lang) if shown else value}" for label, value, shown in view.review]
        )

    def _show_result(self, view: WizardView, lang: str) -> None:
        receipt: dict[str, Any] = view.receipt or {}
        self._lines(
            [
                tr("wizard.submitted", lang),
                f"{tr('wizard.number', lang)}：{receipt.get('number', '')}",
                f"{tr('wizard.status', lang)}：{receipt.get('status_name', '')}",
            ]
        )
