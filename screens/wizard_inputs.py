"""The wizard's input column: the keypads and the division lists of a FIELD step.

- the numeric keypad (PIN-pad layout) of digits, phone numbers, dates, bank accounts and photo
  receipt numbers; an amount's keypad has a decimal point;
- the letters-and-digits pad of a TEXT answer and of an address's detail (building, room), seven
  keys a row so its six rows keep the 长辈模式 button height;
- the division lists (province → city → county, GB/T 2260): eight big buttons a page, 上一页 /
  下一页 for a long list and 上一级 to go back up, never a scrolled list.

Each builder makes its buttons once for the step, through ``button(intent, action, rule, **kw)``
(the view's own, so the buttons are its intents and the demo player can press them); the view's
render only rewrites their words. A list button reads the division it stands for from the view's
state when it is touched, so it never sends a code of a page already gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.divisions import PAGE_SIZE, PickerPage
from kiosk.i18n import tr

logger = logging.getLogger(__name__)

Button = Callable[..., Widget]
Intent = Callable[..., None]

KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "delete"]  # as the PIN pad
AMOUNT_PAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", ".", "0", "delete", "clear"]
TEXT_PAD = [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "-", "clear", "delete"]
EDITS = ("clear", "delete")


def keypad(button: Button, intent: Intent, keys: list[str], cols: int, rule: str = "PinKey") -> Widget:
    """A pad of ``keys``: each types itself; ``clear`` empties the answer, ``delete`` takes one off."""
    pad = GridLayout(cols=cols, spacing=dp(8))
    for key in keys:
        if key == "clear":
            pad.add_widget(button("wizard:key:clear", lambda: intent("input", ""), rule, size_hint_y=1))
        elif key == "delete":
            pad.add_widget(button("wizard:key:delete", lambda: intent("delete"), rule, size_hint_y=1))
        else:
            pad.add_widget(
                button(f"wizard:key:{key}", lambda key=key: intent("type", key), rule, text=key, size_hint_y=1)
            )
    return pad


def picker(button: Button, intent: Intent, current: Callable[[], PickerPage | None]) -> Widget:
    """The division list: ``wizard:pick:<slot>`` buttons, then 上一级 / 上一页 / 下一页."""
    column = BoxLayout(orientation="vertical", spacing=dp(8))
    grid = GridLayout(cols=2, spacing=dp(8))

    def pick(slot: int) -> None:
        page = current()
        if page is not None and slot < len(page.items):
            intent("pick", page.items[slot].code)

    for slot in range(PAGE_SIZE):
        grid.add_widget(button(f"wizard:pick:{slot}", lambda slot=slot: pick(slot), "SecondaryButton", size_hint_y=1))
    column.add_widget(grid)
    row = BoxLayout(size_hint_y=None, height=dp(110), spacing=dp(8))
    row.add_widget(button("wizard:pick:up", lambda: intent("up"), "SecondaryButton"))
    row.add_widget(button("wizard:pick:prev", lambda: intent("page", "-1"), "SecondaryButton"))
    row.add_widget(button("wizard:pick:next", lambda: intent("page", "+1"), "SecondaryButton"))
    column.add_widget(row)
    return column


def show_picker(intents: dict[str, Any], page: PickerPage, lang: str) -> None:
    """Write a page's names on the list's buttons; an empty slot and an impossible move are hidden."""
    for slot in range(PAGE_SIZE):
        widget = intents[f"wizard:pick:{slot}"]
        shown = slot < len(page.items)
        widget.text = page.items[slot].name if shown else ""
        widget.opacity, widget.disabled = (1, False) if shown else (0, True)
    moves = {
        "up": (page.parent is not None, "wizard.pick_up"),
        "prev": (page.number > 1, "wizard.page_prev"),
        "next": (page.number < page.pages, "wizard.page_next"),
    }
    for name, (possible, key) in moves.items():
        widget = intents[f"wizard:pick:{name}"]
        widget.text = tr(key, lang)
        widget.opacity, widget.disabled = (1, False) if possible else (0, True)
