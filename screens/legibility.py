"""The legibility rules (kiosk.legibility) checked on the widgets a resident sees now.

``check_view`` walks one view: every visible label and button with text (font size, and the
contrast of its colour and of any ``[color=…]`` in its markup against what is behind it) and every
visible button (its height). What is behind a label is the nearest fill known to the theme: a
button's own, the announcement band's, the header bar's, else the screen's background. The demo
stories run it at every screenshot, so a story fails on the first widget that breaks the rules.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

from kiosk.legibility import Measure, Rgb, blend, problems, rules_for
from screens import theme
from screens.widgets import AnnouncementPanel, HeaderBar

logger = logging.getLogger(__name__)

_MARKUP_COLOUR = re.compile(r"\[color=#?([0-9a-fA-F]{6})\]")
_MARKUP_SIZE = re.compile(r"\[size=([0-9.]+)(sp|dp|px)?\]")


def _background(widget: Any, elder: bool) -> Rgb:
    """The opaque colour drawn behind ``widget``'s text."""
    if isinstance(widget, Button):
        fill = widget.background_color
        return blend(tuple(fill), theme.BACKGROUND[:3])  # type: ignore[arg-type]
    parent = widget.parent
    while parent is not None and parent.parent is not parent:  # the Window is its own parent
        if isinstance(parent, ModalView):  # the idle countdown: a dialog with a plain fill
            return blend(tuple(parent.background_color), theme.BACKGROUND[:3])  # type: ignore[arg-type]
        if isinstance(parent, AnnouncementPanel):
            band = theme.BAND_WARNING if parent.level == "warning" else theme.BAND_INFO
            return band[:3]
        if isinstance(parent, HeaderBar):
            return theme.primary(elder)[:3]
        parent = parent.parent
    return theme.BACKGROUND[:3]


def _name(widget: Any) -> str:
    intent = getattr(widget, "intent", "")
    text = " ".join(str(widget.text).split())[:40] if isinstance(widget, Label) else ""
    label = f" intent={intent}" if intent else ""
    return f"{type(widget).__name__}{label} {text!r}"


def measure(widget: Any, elder: bool) -> Measure | None:
    """The measures of one widget that the rules look at, or None when it shows nothing to check."""
    if not isinstance(widget, Label):
        return None
    has_text = bool(str(widget.text).strip())
    is_button = isinstance(widget, Button)
    if not has_text and not is_button:
        return None
    background = _background(widget, elder)
    colours: list[Rgb] = []
    if has_text:
        colour = widget.disabled_color if widget.disabled else widget.color
        colours.append(blend(tuple(colour), background))  # type: ignore[arg-type]
        if widget.markup:
            for hex_colour in _MARKUP_COLOUR.findall(widget.text):
                colours.append(tuple(int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)))  # type: ignore[arg-type]
    font_px = float(widget.font_size) if has_text else None
    if font_px is not None and widget.markup:
        # A [size=…] run in the markup is text of its own size (an announcement's "2/3" counter).
        for number, unit in _MARKUP_SIZE.findall(widget.text):
            font_px = min(
                font_px,
                float(sp(float(number)) if unit == "sp" else dp(float(number)) if unit == "dp" else float(number)),
            )
    return Measure(
        name=_name(widget),
        font_px=font_px,
        height=float(widget.height) if is_button else None,
        colours=tuple(colours),
        background=background,
    )


def _visible(widget: Any, out: list[Any]) -> None:
    if widget.opacity <= 0 or widget.width <= 0 or widget.height <= 0:
        return
    out.append(widget)
    for child in widget.children:
        _visible(child, out)


def check_view(view: Any, elder: bool) -> list[str]:
    """Every breach of the rules of the mode (``elder``: 长辈模式) among the widgets of ``view``
    that a resident can see, one line each naming the widget; empty when the view passes."""
    widgets: list[Any] = []
    _visible(view, widgets)
    rules = rules_for(elder)
    out: list[str] = []
    for widget in widgets:
        found = measure(widget, elder)
        if found is not None:
            out.extend(problems(found, rules))
    return out
