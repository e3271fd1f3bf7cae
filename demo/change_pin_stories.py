"""The 修改社保卡密码 story (``--script change-pin``), played with real touches on the PIN pad.

Sign in with the demo card; 修改社保卡密码: a wrong old PIN first (the card's tries left are shown,
the PIN is unchanged), then the right old PIN and a new PIN twice; the card now holds the new PIN.
Finish, pull the card, put the same card back: the new PIN signs in. Runs with the shuffled pad
(cli.ui.SCRIPT_SETTINGS), so every digit is found by its key, wherever the pad put it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from demo.player import JourneyFailed, Step
from kiosk.i18n import tr
from kiosk.state import Screen

logger = logging.getLogger(__name__)

NEW_PIN = "802731"


def _type(player: Any, pin: str, step: str) -> Iterator[Step]:
    """Type ``pin`` on the 修改密码 pad shown at ``step`` and press OK."""
    state = player.app.controller.state
    yield "wait", (lambda: player.showing(Screen.CHANGE_PIN) and state.change_pin.step == step, f"the {step} PIN step")
    yield "settle", None
    for digit in pin:
        player.press(f"pin:{digit}")
    yield "settle", None
    player.on_screen("● ● ● ● ● ●")
    player.press("pin:ok")


def change_pin(player: Any) -> Iterator[Step]:
    state = player.app.controller.state
    old_pin = player.person["pin"]
    wrong = next(pin for pin in ("918273", "827364") if pin != old_pin)
    yield "screen", (Screen.ATTRACT, "attract screen")
    player.world.insert_person(0)
    yield from player.sign_in(old_pin)
    player.shot("menu")

    player.press("service:change_pin")
    yield "screen", (Screen.CHANGE_PIN, "the old-PIN pad")
    yield "settle", None
    player.on_screen(tr("change_pin.step.old", state.language))
    player.check_legible()
    player.shot("old-pin")
    yield from _type(player, wrong, "old")
    yield from _type(player, NEW_PIN, "new")
    yield from _type(player, NEW_PIN, "again")
    yield (
        "wait",
        (
            lambda: player.showing(Screen.CHANGE_PIN) and state.change_pin.message is not None,
            "the wrong-PIN message",
        ),
    )
    yield "settle", None
    if state.change_pin.step != "old" or state.change_pin.message.key != "pin.wrong":
        raise JourneyFailed(f"after a wrong old PIN: step {state.change_pin.step}, {state.change_pin.message}")
    player.on_screen(tr("pin.wrong", state.language, tries=2))
    player.check_legible()
    player.shot("wrong-old-pin")

    yield from _type(player, old_pin, "old")
    yield from _type(player, NEW_PIN, "new")
    player.shot("new-pin")
    yield from _type(player, NEW_PIN, "again")
    yield "screen", (Screen.MESSAGE, "the PIN-changed message")
    player.expect_message("change_pin.done")
    yield "settle", None
    player.shot("changed")
    yield "screen", (Screen.MENU, "menu after the change")

    card = player.world.devices.card_slot.inserted_card
    player.press("exit")
    yield "screen", (Screen.REMOVE_CARD, "remove-card screen")
    player.world.pull_card()
    yield "screen", (Screen.ATTRACT, "attract screen")
    player.check_nothing_left()
    player.world.devices.card_slot.insert(card)  # the same card, now with the new PIN
    yield from player.sign_in(NEW_PIN)
    player.shot("signed-in-with-new-pin")
    player.press("exit")
    yield "screen", (Screen.REMOVE_CARD, "remove-card screen")
    player.world.pull_card()
    yield "screen", (Screen.ATTRACT, "attract screen at the end")
    player.check_nothing_left()
