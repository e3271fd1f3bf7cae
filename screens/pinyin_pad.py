"""The pinyin pad of a wizard's free-text question: a candidate bar above big letter keys.

Layout (the wizard's input column, landscape): one bar row of 上一页, four candidates and 下一页;
under it forty keys in eight columns (five rows, so each keeps the 长辈模式 button height): A–Z,
0–9, "-", the 中/英 switch, 清除 and 删除. In Chinese a letter is pinyin (the flow keeps it
pending and offers the bar); in English it is typed into the answer as on the letters pad.

Buttons are made once per step through the view's ``button`` (so they are its intents and the demo
player can press them): ``wizard:key:<key>``, ``wizard:ime``, ``wizard:cand:<slot>``,
``wizard:cand:prev`` / ``next``; ``show`` only rewrites their words from the state's ImeView.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.i18n import tr
from screens.wizard_inputs import Button, Intent, keypad

logger = logging.getLogger(__name__)

SLOTS = 4  # as kiosk.flows.wizard.IME_PAGE
KEYS = [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "-", "ime", "clear", "delete"]
WIDTH = 800  # the input column: four candidates of four characters at the 长辈模式 text size


def pinyin_pad(button: Button, intent: Intent) -> Widget:
    """The bar and the keys (see the module's layout)."""
    column = BoxLayout(orientation="vertical", spacing=dp(12))
    bar = BoxLayout(size_hint_y=None, height=dp(110), spacing=dp(8))
    bar.add_widget(button("wizard:cand:prev", lambda: intent("candidates", "-1"), "SecondaryButton"))
    for slot in range(SLOTS):
        bar.add_widget(
            button(
                f"wizard:cand:{slot}", lambda slot=slot: intent("candidate", str(slot)), "KioskButton", size_hint_x=1.15
            )
        )
    bar.add_widget(button("wizard:cand:next", lambda: intent("candidates", "+1"), "SecondaryButton"))
    column.add_widget(bar)
    letters = [key for key in KEYS if key != "ime"]
    pad: GridLayout = keypad(button, intent, letters, 8, "SecondaryButton")
    # The 中/英 switch takes the place before 清除 / 删除, at the end of the last row.
    pad.add_widget(button("wizard:ime", lambda: intent("ime"), "SecondaryButton", size_hint_y=1), index=2)
    column.add_widget(pad)
    return column


def show(intents: dict[str, Any], ime: Any, lang: str) -> None:
    """Write the bar's candidates and the switch's mode; an empty slot or an impossible page is
    hidden (上一页 on the first page takes no room)."""
    switch = tr("wizard.ime_chinese", lang) if ime.chinese else tr("wizard.ime_english", lang)
    intents["wizard:ime"].text = switch
    for slot in range(SLOTS):
        widget = intents[f"wizard:cand:{slot}"]
        shown = slot < len(ime.candidates)
        widget.text = ime.candidates[slot] if shown else ""
        widget.opacity, widget.disabled = (1, False) if shown else (0, True)
    for name, possible, key in (("prev", ime.has_prev, "wizard.page_prev"), ("next", ime.has_next, "wizard.page_next")):
        widget = intents[f"wizard:cand:{name}"]
        widget.text = tr(key, lang)
        widget.opacity, widget.disabled = (1, False) if possible else (0, True)
        # A 上一页 that cannot page gives its width to the candidates (four characters on one line).
        if possible or name == "next":
            widget.size_hint_x = 1
        else:
            widget.size_hint_x, widget.width = None, 0
