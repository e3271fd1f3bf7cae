"""The wizard's PHOTO step on screen (kiosk.flows.wizard_photo): the card's photo.

The wizard screen (screens/wizard_view.py) keeps its question, 返回 / 首页 / 下一步 on the left and
gives this module its input column and its words:

- choose: two big buttons, 现在拍照 (only with a working camera) and 输入照片回执号;
- camera: the live picture; on the left the photo's rules, the one to fix now marked 【请注意】 in
  words and the problem said in bold below (never a colour alone);
- taken: the photo, with 重拍 and 使用这张照片; done: the photo saved, with 重拍;
- receipt: the numeric keypad of the receipt number.

Buttons are built once per mode (``input_mode``) and their words rewritten on every render; the
photo's texture is decoded once per photo, the preview's is reused frame after frame.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.utils import escape_markup

from kiosk.i18n import tr
from kiosk.state import WizardView
from screens import wizard_inputs

logger = logging.getLogger(__name__)

BUTTON_KEYS = {
    "wizard:photo:take": "photo.take",
    "wizard:photo:receipt": "photo.receipt",
    "wizard:photo:retake": "photo.retake",
    "wizard:photo:use": "photo.use",
}


def input_mode(view: WizardView) -> str:
    """The input column's mode: it is built again when the photo's mode or the camera changes."""
    photo = view.photo
    if photo is None:
        return "photo"
    return f"photo-{photo.mode}-{int(photo.camera)}"


class PhotoPanel:
    """The photo step's input column, built into ``inputs`` with the wizard's ``button``."""

    def __init__(self, button: Callable[..., Any], intent: Callable[..., None], view: WizardView, inputs: Any) -> None:
        self._jpeg: bytes | None = None
        self._texture: Any = None
        self.image: Image | None = None
        photo = view.photo
        mode = photo.mode if photo is not None else "choose"
        inputs.width = dp(640)
        if mode == "receipt":
            inputs.width = dp(480)
            inputs.add_widget(wizard_inputs.keypad(button, intent, wizard_inputs.KEYPAD, 3))
            return
        if mode in ("camera", "taken", "done"):
            self.image = Image(fit_mode="contain")
            inputs.add_widget(self.image)
        row = BoxLayout(orientation="vertical" if mode == "choose" else "horizontal", spacing=dp(16))
        row.size_hint_y = 1 if mode == "choose" else None
        row.height = dp(110)
        camera = photo is not None and photo.camera
        if mode == "choose":
            if camera:
                row.add_widget(button("wizard:photo:take", lambda: intent("photo_camera"), "KioskButton"))
            row.add_widget(button("wizard:photo:receipt", lambda: intent("photo_receipt"), "SecondaryButton"))
        elif mode == "taken":
            row.add_widget(button("wizard:photo:retake", lambda: intent("photo_retake"), "SecondaryButton"))
            row.add_widget(button("wizard:photo:use", lambda: intent("photo_use"), "KioskButton"))
        elif mode == "done":
            if camera:
                row.add_widget(button("wizard:photo:retake", lambda: intent("photo_retake"), "SecondaryButton"))
            row.add_widget(button("wizard:photo:receipt", lambda: intent("photo_receipt"), "SecondaryButton"))
        if row.children:
            inputs.add_widget(row)

    def show(self, view: WizardView, lang: str, intents: dict[str, Any]) -> None:
        for intent, key in BUTTON_KEYS.items():
            if intent in intents:
                intents[intent].text = tr(key, lang)
        photo = view.photo
        if self.image is None or photo is None:
            return
        if photo.mode == "camera":
            self._show_preview(photo.preview)
        elif photo.jpeg is not None and photo.jpeg is not self._jpeg:
            from kivy.core.image import Image as CoreImage

            self._jpeg = photo.jpeg
            self.image.texture = CoreImage(io.BytesIO(photo.jpeg), ext="jpg").texture

    def _show_preview(self, frame: Any) -> None:
        if frame is None or self.image is None:
            return
        from kivy.graphics.texture import Texture

        if self._texture is None or self._texture.size != (frame.width, frame.height):
            self._texture = Texture.create(size=(frame.width, frame.height), colorfmt="rgb")
        self._texture.blit_buffer(frame.rgb, colorfmt="rgb", bufferfmt="ubyte")
        self.image.texture = self._texture
        self.image.canvas.ask_update()


def lines(view: WizardView, lang: str) -> list[str]:
    """The step's words on the left: the question, then what to do in this mode."""
    question, photo = view.question, view.photo
    head = [tr(question.label_key, lang)]
    if photo is None:
        return head
    if photo.mode == "camera":
        rules = [tr("photo.rules_title", lang)]
        for rule in photo.rules:
            text = escape_markup(tr(f"photo.rule.{rule}", lang))
            rules.append(f"[b]▶ {text}  【{tr('photo.now', lang)}】[/b]" if rule == photo.rule else f"  · {text}")
        problem = f"[b]{escape_markup(tr(photo.problem, lang))}[/b]" if photo.problem else ""
        return head + rules + [problem]
    if photo.mode == "receipt":
        return head + [tr("photo.receipt_hint", lang), f"[b]{escape_markup(view.value) or '—'}[/b]"]
    if photo.mode == "taken":
        return head + [tr("photo.taken_hint", lang)]
    if photo.mode == "done":
        return head + [f"[b]{tr('form.photo.done', lang)}[/b]", tr("photo.done_hint", lang)]
    if photo.camera:
        return head + [tr("photo.choose_hint", lang)]
    return head + [tr("photo.choose_hint_no_camera", lang)]
