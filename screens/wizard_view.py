"""The application wizard's screen: one step at a time, rendered from ``KioskState.wizard``.

Every step shows "第 2 步，共 4 步", the question in big type, and 返回 / 首页 / 下一步 (提交 on the
review, 打印回执 on the result); choices are big buttons, numbers come from an on-screen keypad
(never the system keyboard). The step's buttons are built once when the step changes, and every
render only rewrites their words, so a touch never lands on a button that is being replaced. The
view keeps no answer of its own: every render replaces all of its text from the state.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget
from kivy.utils import escape_markup

from kiosk.forms import NUMERIC, PICKED, FieldKind, split_address
from kiosk.i18n import tr
from kiosk.state import KioskState, WizardStep, WizardView
from screens import photo_view, pinyin_pad, theme, wizard_inputs
from screens.views import BaseView, message_text
from screens.widgets import KioskLabel, make

logger = logging.getLogger(__name__)

PRIMARY_KEYS = {WizardStep.REVIEW: "wizard.submit", WizardStep.RESULT: "wizard.print_receipt"}


class WizardScreen(BaseView):
    def build(self) -> None:
        # Landscape, as the PIN screen: the question and 返回 / 首页 / 下一步 on the left, the step's
        # keypad or choices on the right (a column that is only there when the step has one).
        self.body.orientation = "horizontal"
        left = BoxLayout(orientation="vertical", spacing=dp(16))
        self.progress = KioskLabel(size_hint_y=None, height=dp(48))
        self.title = make("TitleLabel")
        self.text = KioskLabel(markup=True)
        self.error = KioskLabel(color=theme.ERROR_TEXT)
        left.add_widget(Widget())
        for widget in (self.progress, self.title, self.text, self.error):
            left.add_widget(widget)
        left.add_widget(Widget())
        row = BoxLayout(size_hint_y=None, height=dp(110), spacing=dp(16))
        row.add_widget(self.button("wizard:back", lambda: self.controller.intent("back"), rule="SecondaryButton"))
        row.add_widget(self.button("wizard:home", self.controller.back_to_menu, rule="SecondaryButton"))
        row.add_widget(self.button("wizard:next", self._primary))
        left.add_widget(row)
        self.body.add_widget(left)
        self.inputs = BoxLayout(orientation="vertical", spacing=dp(12), size_hint_x=None, width=0)
        self.body.add_widget(self.inputs)
        self._view: WizardView | None = None
        self._built_for: tuple[str, int, str] | None = None
        self._step_intents: list[str] = []
        self._photo_panel: photo_view.PhotoPanel | None = None  # on a PHOTO step

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
        if view is None:
            self._rebuild(None)
            return
        step_id = (view.service, view.step_number if view.step is not WizardStep.RESULT else 0, _input_mode(view))
        if step_id != self._built_for:
            self._rebuild(view)
            self._built_for = step_id
        self.progress.text = tr("wizard.progress", lang, step=view.step_number, count=view.step_count)
        self.title.text = tr(f"service.{view.service}", lang)
        self.error.text = tr(view.error, lang) if view.error else message_text(view.failure, lang)
        self.intents["wizard:next"].text = tr(PRIMARY_KEYS.get(view.step, "wizard.next"), lang)
        back = self.intents["wizard:back"]
        back.text = tr("key.back", lang)
        back.opacity, back.disabled = (0, True) if view.step is WizardStep.RESULT else (1, False)  # submitted
        self.intents["wizard:home"].text = tr("wizard.home", lang)
        getattr(self, f"_show_{view.step.value}")(view, lang)

    # ------------------------------------------------------------------ the step's own buttons
    def _rebuild(self, view: WizardView | None) -> None:
        self.inputs.clear_widgets()
        for intent in self._step_intents:
            self.intents.pop(intent, None)
        self._step_intents = []
        self._built_for = None
        if view is None:
            return
        mode = _input_mode(view)
        widths = {"": 0, "tick": 420, "choice": 420, "repick": 420, "list": 620, "text": 640}
        self.inputs.width = dp(widths.get(mode, 480))
        intent = self.controller.intent
        if mode == "tick":
            self.inputs.add_widget(self._step_button("wizard:tick", lambda: intent("tick")))
        elif mode == "choice":
            choices = view.question.choices
            grid = GridLayout(cols=2 if len(choices) > 5 else 1, spacing=dp(12))
            if len(choices) > 5:
                self.inputs.width = dp(640)
            for choice in choices:
                grid.add_widget(
                    self._step_button(
                        f"wizard:choice:{choice.value}", lambda value=choice.value: intent("input", value)
                    )
                )
            self.inputs.add_widget(grid)
        elif mode == "list":
            self.inputs.add_widget(wizard_inputs.picker(self._step_button, intent, lambda: self._page()))
        elif mode == "pinyin":  # a free text or an address's detail: the candidate bar over the keys
            self.inputs.width = dp(pinyin_pad.WIDTH)
            self.inputs.add_widget(pinyin_pad.pinyin_pad(self._step_button, intent))
        elif mode == "text":  # an address's detail too: 返回 takes it back to the county list
            pad = wizard_inputs.keypad(self._step_button, intent, wizard_inputs.TEXT_PAD, 7, "SecondaryButton")
            self.inputs.add_widget(pad)
        elif mode == "repick":
            self.inputs.add_widget(self._step_button("wizard:repick", lambda: intent("repick")))
        elif mode == "face":  # 开始核验 / 重试: the camera screen takes over (kiosk.flows.wizard_face)
            self.inputs.add_widget(self._step_button("wizard:face", lambda: intent("face")))
        elif mode == "amount":
            self.inputs.add_widget(wizard_inputs.keypad(self._step_button, intent, wizard_inputs.AMOUNT_PAD, 3))
        elif mode == "digits":
            self.inputs.add_widget(wizard_inputs.keypad(self._step_button, intent, wizard_inputs.KEYPAD, 3))
        elif mode.startswith("photo"):  # the card's photo: its own column (screens/photo_view.py)
            self._photo_panel = photo_view.PhotoPanel(self._step_button, intent, view, self.inputs)

    def _page(self) -> Any:
        return self._view.picker if self._view is not None else None

    def _step_button(self, intent: str, action: Any, rule: str = "SecondaryButton", **kwargs: Any) -> Widget:
        self._step_intents.append(intent)
        return self.button(intent, action, rule=rule, **kwargs)

    # ------------------------------------------------------------------ each step's words
    def _lines(self, lines: list[str]) -> None:
        """The step's words; their own text (the resident's data) is escaped, the bold of an answer is not."""
        self.text.text = "\n".join(lines)

    def _show_notice(self, view: WizardView, lang: str) -> None:
        self._lines([tr(view.notice_key, lang)])
        mark = "●" if view.agreed else "○"  # the PIN dots' glyphs: every Chinese font has them
        self.intents["wizard:tick"].text = f"{mark} {tr('wizard.agree', lang)}"

    def _show_confirm(self, view: WizardView, lang: str) -> None:
        self._lines(
            [
                tr("wizard.confirm_data", lang),
                *(f"{tr(key, lang)}：{escape_markup(value)}" for key, value in view.resident),
            ]
        )

    def _show_field(self, view: WizardView, lang: str) -> None:
        question = view.question
        if question.kind is FieldKind.PHOTO:
            self._lines(photo_view.lines(view, lang))
            if self._photo_panel is not None:
                self._photo_panel.show(view, lang, self.intents)
            return
        if question.kind is FieldKind.FACE:
            self._show_face(view, lang)
            return
        if view.picker is not None:
            path = " / ".join(view.picker.path) or tr("wizard.pick_province", lang)
            self._lines(
                [tr(question.label_key, lang), tr("wizard.pick_hint", lang), f"[b]{escape_markup(path)}[/b]"]
                + (
                    [tr("wizard.page", lang, page=view.picker.number, pages=view.picker.pages)]
                    if view.picker.pages > 1
                    else []
                )
            )
            wizard_inputs.show_picker(self.intents, view.picker, lang)
            return
        answer = question.shown(view.value)
        if question.kind is FieldKind.ADDRESS:
            place, detail = question.shown(split_address(view.value)[0] + "|"), split_address(view.value)[1]
            answer = f"{place}\n{tr('wizard.address_detail', lang)}：{detail or '—'}"
        pending = "'".join(view.ime.syllables) if view.ime is not None else ""
        typed = f"[b]{escape_markup(answer) or ('' if pending else '—')}[/b]"
        # The pinyin not yet turned into characters, underlined after the answer, as an IME shows it.
        self._lines([tr(question.label_key, lang), typed + (f" [u]{escape_markup(pending)}[/u]" if pending else "")])
        if view.ime is not None and "wizard:ime" in self.intents:
            pinyin_pad.show(self.intents, view.ime, lang)
        if question.kind is FieldKind.CHOICE:
            for choice in question.choices:
                chosen = "● " if choice.value == view.value else ""
                self.intents[f"wizard:choice:{choice.value}"].text = chosen + tr(choice.label_key, lang)
        if "wizard:key:clear" in self.intents:
            self.intents["wizard:key:clear"].text = tr("key.clear", lang)
            self.intents["wizard:key:delete"].text = tr("key.delete", lang)
        if "wizard:repick" in self.intents:
            self.intents["wizard:repick"].text = tr("wizard.repick", lang)

    def _show_face(self, view: WizardView, lang: str) -> None:
        """Done (已完成人脸核验, never the check's id) or what to do; the button is hidden once the
        daily lock sends the resident to the counter (the reason is the error line's)."""
        done = bool(view.value)
        self._lines(
            [
                tr(view.question.label_key, lang),
                f"[b]{tr('form.face.done', lang)}[/b]" if done else tr("wizard.face.hint", lang),
            ]
        )
        button = self.intents["wizard:face"]
        if done:
            button.text = tr("wizard.face.again", lang)
        elif view.face_status == "failed":
            button.text = tr("wizard.face.retry", lang)
        else:
            button.text = tr("wizard.face.start", lang)
        button.opacity, button.disabled = (0, True) if view.face_status == "locked" else (1, False)

    def _show_review(self, view: WizardView, lang: str) -> None:
        # An answer not given (an optional one) reads "—", not an empty line.
        self._lines(
            [tr("wizard.review", lang)]
            + [
                f"{tr(label, lang)}：{tr(shown, lang) if shown else escape_markup(value) or '—'}"
                for label, value, shown in view.review
            ]
        )

    def _show_result(self, view: WizardView, lang: str) -> None:
        receipt: dict[str, Any] = view.receipt or {}
        self._lines(
            [
                tr("wizard.submitted", lang),
                f"{tr('wizard.number', lang)}：{escape_markup(str(receipt.get('number', '')))}",
                f"{tr('wizard.status', lang)}：{escape_markup(str(receipt.get('status_name', '')))}",
            ]
        )


def _input_mode(view: WizardView) -> str:
    """Which input column the step has: its buttons are built again only when this changes."""
    if view.step is WizardStep.NOTICE:
        return "tick"
    if view.step is not WizardStep.FIELD or view.question is None:
        return ""
    kind = view.question.kind
    if kind is FieldKind.CHOICE:
        return "choice"
    if kind is FieldKind.FACE:
        return "face"
    if kind in PICKED:
        if view.picker is not None:
            return "list"
        if kind is FieldKind.REGION:
            return "repick"
    if kind in (FieldKind.TEXT, FieldKind.ADDRESS):
        return "pinyin" if view.ime is not None else "text"
    if kind is FieldKind.AMOUNT:
        return "amount"
    if kind is FieldKind.PHOTO:
        return photo_view.input_mode(view)
    return "digits" if kind in NUMERIC else ""
