"""One Kivy screen per kiosk state. Each renders a KioskState and sends intents to the controller.

Screens hold no resident data of their own beyond the widgets' text, and every render replaces
all of it, so a cleared state leaves nothing on screen.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any, NamedTuple

from kivy.core.image import Image as CoreImage
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.screenmanager import Screen as KivyScreen
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget
from kivy.utils import escape_markup

from kiosk.i18n import LANGUAGE_NAMES, LANGUAGES, N_, tr
from kiosk.state import KioskState, Message
from screens import theme
from screens.widgets import AnnouncementPanel, HeaderBar, KioskButton, KioskLabel, make

logger = logging.getLogger(__name__)


def message_text(message: Message | None, lang: str) -> str:
    """Translate a Message; params named ``*_key`` are message keys translated first."""
    if message is None:
        return ""
    params = {}
    then_text = ""
    for name, value in message.params.items():
        if name == "then_key":
            then_text = tr(str(value), lang)
        elif name.endswith("_key"):
            params[name[:-4]] = tr(str(value), lang)
        else:
            params[name] = value
    text = tr(message.key, lang, **params)
    return f"{text}\n{then_text}" if then_text else text


class BaseView(KivyScreen):
    """Header with the terminal title, a body, and an optional footer of buttons."""

    def __init__(self, controller: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.controller = controller
        self.intents: dict[str, Widget] = {}
        outer = BoxLayout(orientation="vertical")
        self.header = HeaderBar()
        self.header_label = KioskLabel(color=(1, 1, 1, 1), halign="left", size_hint_y=1)
        self.header.add_widget(self.header_label)
        # 长辈模式 on every screen: large type and stronger contrast for this resident's session.
        self.elder_toggle = self.button("elder", self._toggle_elder, rule="SecondaryButton", size_hint=(None, 1))
        self.elder_toggle.width = dp(300)
        self.header.add_widget(self.elder_toggle)
        outer.add_widget(self.header)
        self.body = BoxLayout(orientation="vertical", padding=dp(32), spacing=dp(20))
        outer.add_widget(self.body)
        self.add_widget(outer)
        self.build()

    def build(self) -> None:
        raise NotImplementedError

    def button(self, intent: str, action: Callable[[], None], rule: str = "KioskButton", **kwargs: Any) -> KioskButton:
        widget = make(rule, intent=intent, **kwargs)
        widget.bind(on_release=lambda *_: action())
        self.intents[intent] = widget
        return widget

    def _toggle_elder(self) -> None:
        self.controller.set_elder_mode(not self.controller.state.elder_mode)

    def render(self, state: KioskState) -> None:
        self.header_label.text = tr("app.title", state.language)
        # TRANSLATORS: the 长辈模式 (large type) switch in every screen's header: one short line.
        toggle = N_("key.elder_off") if state.elder_mode else N_("key.elder_on")
        self.elder_toggle.text = tr(toggle, state.language)
        self.update(state)

    def update(self, state: KioskState) -> None:
        raise NotImplementedError


class AnnouncementParts(NamedTuple):
    """The notice on show, split for the attract band: ``marker`` (bold 【重要】/"Important:" markup),
    ``gap`` ("" after 【】, which carries its own spacing; " " after "Important:"), ``text`` (the
    escaped notice and its "2/3" counter) and ``level``."""

    marker: str
    gap: str
    text: str
    level: str


def announcement_parts(state: KioskState) -> AnnouncementParts:
    """The announcement on show in parts, or empty parts (level "info") when there is none.

    A warning starts with a bold 【重要】/"Important:" so it stands out without relying on colour;
    several notices show "2/3" so a resident knows more follow. Notice text is escaped: staff
    wrote it, and a "[" in it must not be taken for markup."""
    notices = state.announcements
    if not notices:
        return AnnouncementParts("", "", "", "info")
    index = min(state.announcement_index, len(notices) - 1)
    notice = notices[index]
    key = "announcement.warning" if notice.level == "warning" else "announcement.info"
    prefix = escape_markup(tr(key, state.language))
    # The counter in the notice's own size: at 22 sp it fell under the 24 px rule.
    counter = f"  {index + 1}/{len(notices)}" if len(notices) > 1 else ""
    gap = "" if prefix.endswith("】") else " "
    if notice.level == "warning":
        # Dark amber on the light amber band: 6.3:1, and 8.4:1 in 长辈模式 (which needs 7:1).
        amber = "6e2e00" if state.elder_mode else "8a3c00"
        prefix = f"[color={amber}]{prefix}[/color]"
    return AnnouncementParts(f"[b]{prefix}[/b]", gap, f"{escape_markup(notice.text)}{counter}", notice.level)


def announcement_markup(state: KioskState) -> tuple[str, str]:
    """(Kivy markup, level) of the announcement on show in one run of text, or ("", "info") when
    there is none: for the menu's one-line header notice, which is cut, never wrapped."""
    parts = announcement_parts(state)
    if not parts.marker:
        return "", "info"
    return f"{parts.marker}{parts.gap}{parts.text}", parts.level


class AttractView(BaseView):
    """Insert-card prompt; below it the announcement band (when any is in force), then languages."""

    def build(self) -> None:
        self.body.add_widget(Widget())
        self.title = make("TitleLabel")
        self.hint = KioskLabel()
        self.body.add_widget(self.title)
        self.body.add_widget(self.hint)
        self.body.add_widget(Widget())
        # The marker has a label of its own beside the wrapping text. In one label Kivy may break a
        # line only at spaces or where the markup changes, so a long Chinese notice (no spaces) left
        # 【重要】 alone on the first line; beside it, the text wraps by characters under itself.
        self.notice_panel = AnnouncementPanel()
        self.notice_marker = make("AnnouncementMarker")
        self.notice = make("AnnouncementLabel")
        self.notice_panel.add_widget(self.notice_marker)
        self.notice_panel.add_widget(self.notice)
        self.body.add_widget(self.notice_panel)
        # No card with you: the 电子社保卡 on your phone (shown only on a terminal with a camera).
        self.esscard = self.button("esscard", self.controller.choose_esscard, rule="SecondaryButton")
        self.body.add_widget(self.esscard)
        row = BoxLayout(size_hint_y=None, height=dp(110), spacing=dp(16))
        for lang in LANGUAGES:
            row.add_widget(
                self.button(
                    f"language:{lang}",
                    lambda lang=lang: self.controller.set_language(lang),
                    rule="SecondaryButton",
                    text=LANGUAGE_NAMES[lang],
                )
            )
        self.body.add_widget(row)

    def update(self, state: KioskState) -> None:
        self.title.text = tr("attract.insert_card", state.language)
        self.hint.text = tr("attract.hint", state.language)
        parts = announcement_parts(state)
        self.notice_marker.text, self.notice.text, self.notice_panel.level = parts.marker, parts.text, parts.level
        self.notice_panel.spacing = dp(12) if parts.gap else 0
        self.notice_panel.shown = bool(parts.marker)
        self.esscard.text = tr("key.esscard", state.language)
        self.esscard.opacity = 1 if state.esscard_available else 0
        self.esscard.disabled = not state.esscard_available


class BusyView(BaseView):
    """Reading the card, verifying, loading: a message and nothing to press."""

    def build(self) -> None:
        self.body.add_widget(Widget())
        self.title = make("TitleLabel")
        self.body.add_widget(self.title)
        self.body.add_widget(Widget())

    def update(self, state: KioskState) -> None:
        self.title.text = message_text(state.busy_message, state.language)


class PinView(BaseView):
    """Greeting, prompt and the buttons on the left; the PIN pad on the right (landscape kiosk)."""

    def build(self) -> None:
        self.body.orientation = "horizontal"
        left = BoxLayout(orientation="vertical", spacing=dp(16))
        self.greeting = make("TitleLabel")
        self.prompt = KioskLabel()
        self.dots = make("TitleLabel")
        self.error = KioskLabel(color=theme.ERROR_TEXT)
        left.add_widget(Widget())
        for widget in (self.greeting, self.prompt, self.dots, self.error):
            left.add_widget(widget)
        left.add_widget(Widget())
        left.add_widget(self.button("pin:ok", self.controller.pin_submit))
        # 刷脸 and 退出 side by side: stacked, three buttons left too little room for a two-line
        # error, and the greeting was pushed up under the header.
        row = BoxLayout(size_hint_y=None, height=dp(110), spacing=dp(16))
        row.add_widget(self.button("face", self.controller.choose_face, rule="SecondaryButton"))
        row.add_widget(self.button("exit", self.controller.finish, rule="SecondaryButton"))
        left.add_widget(row)
        self.body.add_widget(left)
        pad = GridLayout(cols=3, spacing=dp(12), size_hint_x=None, width=dp(480))
        for key in ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "delete"]:
            if key.isdigit():
                pad.add_widget(
                    self.button(
                        f"pin:{key}",
                        lambda key=key: self.controller.pin_digit(key),
                        rule="PinKey",
                        text=key,
                        size_hint_y=1,
                    )
                )
            else:
                action = self.controller.pin_clear if key == "clear" else self.controller.pin_delete
                pad.add_widget(self.button(f"pin:{key}", action, rule="PinKey", size_hint_y=1))
        self.body.add_widget(pad)

    def update(self, state: KioskState) -> None:
        lang = state.language
        self.greeting.text = tr("pin.title", lang, name=state.resident_name) if state.resident_name else ""
        self.prompt.text = tr("pin.prompt", lang)
        self.dots.text = " ".join(["●"] * state.pin_length + ["○"] * (6 - state.pin_length))
        self.error.text = message_text(state.pin_message, lang)
        self.intents["pin:clear"].text = tr("key.clear", lang)
        self.intents["pin:delete"].text = tr("key.delete", lang)
        self.intents["pin:ok"].text = tr("key.ok", lang)
        face = self.intents["face"]
        face.text = tr("key.face", lang)
        face.opacity = 1 if state.face_available else 0
        face.disabled = not state.face_available
        self.intents["exit"].text = tr("key.exit", lang)


class FaceView(BaseView):
    """The live camera picture (mirrored) inside a guide oval, and the current instruction in big type."""

    def build(self) -> None:
        self.body.orientation = "horizontal"
        self.preview = Image(fit_mode="contain")
        self.preview.bind(pos=self._draw_oval, size=self._draw_oval)
        self.body.add_widget(self.preview)
        right = BoxLayout(orientation="vertical", spacing=dp(16), size_hint_x=0.42)
        self.title = make("TitleLabel")
        self.instruction = make("TitleLabel", color=theme.ACCENT_TEXT)
        right.add_widget(self.title)
        right.add_widget(Widget())
        right.add_widget(self.instruction)
        right.add_widget(Widget())
        right.add_widget(self.button("cancel", self.controller.cancel_face, rule="SecondaryButton"))
        self.body.add_widget(right)
        self._texture = None

    def _draw_oval(self, *_: Any) -> None:
        from kivy.graphics import Color, Line

        self.preview.canvas.after.clear()
        width, height = self.preview.size
        oval_w, oval_h = min(width * 0.55, height * 0.5), height * 0.72
        with self.preview.canvas.after:
            Color(1, 1, 1, 0.9)
            Line(
                ellipse=(self.preview.center_x - oval_w / 2, self.preview.center_y - oval_h / 2, oval_w, oval_h),
                width=dp(3),
            )

    def update(self, state: KioskState) -> None:
        lang = state.language
        self.title.text = tr(state.face_title, lang)
        self.instruction.text = message_text(state.face_message, lang)
        self.intents["cancel"].text = tr("key.cancel", lang)
        frame = state.face_preview
        if frame is None:
            self.preview.texture = None
            self._texture = None
            return
        from kivy.graphics.texture import Texture

        if self._texture is None or self._texture.size != (frame.width, frame.height):
            self._texture = Texture.create(size=(frame.width, frame.height), colorfmt="rgb")
        self._texture.blit_buffer(frame.rgb, colorfmt="rgb", bufferfmt="ubyte")
        self.preview.texture = self._texture
        self.preview.canvas.ask_update()


class PreviewView(BaseView):
    def build(self) -> None:
        self.title = make("TitleLabel")
        self.body.add_widget(self.title)
        scroll = ScrollView()
        self.image = Image(size_hint=(1, None), fit_mode="contain")
        scroll.add_widget(self.image)
        self.body.add_widget(scroll)
        # 返回 is one step back (the months chooser or the table the print came from: the certificate
        # flow decides), 首页 the menu, as on the records and wizard screens.
        row = BoxLayout(size_hint_y=None, height=dp(110), spacing=dp(16))
        row.add_widget(self.button("back", lambda: self.controller.intent("back"), rule="SecondaryButton"))
        row.add_widget(self.button("home", self.controller.back_to_menu, rule="SecondaryButton"))
        row.add_widget(self.button("print", self.controller.confirm_print))
        self.body.add_widget(row)

    def update(self, state: KioskState) -> None:
        lang = state.language
        self.title.text = tr("print.preview_title", lang)
        self.intents["back"].text = tr("key.back", lang)
        self.intents["home"].text = tr("key.home", lang)
        self.intents["print"].text = tr("key.print", lang)
        if state.preview_png:
            texture = CoreImage(io.BytesIO(state.preview_png), ext="png").texture
            self.image.texture = texture
            self.image.height = max(dp(200), texture.height * min(1.0, dp(700) / max(texture.width, 1)))
        else:
            self.image.texture = None


class MessageView(BaseView):
    def build(self) -> None:
        self.body.add_widget(Widget())
        self.title = make("TitleLabel")
        self.body.add_widget(self.title)
        self.body.add_widget(Widget())
        self.body.add_widget(self.button("continue", self.controller.back_to_menu))

    def update(self, state: KioskState) -> None:
        lang = state.language
        self.title.text = message_text(state.message, lang)
        self.title.color = theme.ERROR_TEXT if state.message and state.message.is_error else theme.TEXT
        self.intents["continue"].text = tr("key.continue", lang)
        self.intents["continue"].opacity = 1 if state.session_active else 0
        self.intents["continue"].disabled = not state.session_active


class RemoveCardView(BusyView):
    def update(self, state: KioskState) -> None:
        self.title.text = tr("remove_card.title", state.language)


class OutOfServiceView(BusyView):
    def update(self, state: KioskState) -> None:
        self.title.text = tr("out_of_service", state.language)
