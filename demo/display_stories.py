"""Stories about how the screens look: 长辈模式 (elder mode) and the staff's maintenance screen
(the tour of every screen: demo.tour).

Each is a function of the player (demo.player.StoryPlayer) that yields its steps; DemoStories
(demo.stories) names them. Every screenshot checks the legibility rules of the mode on screen
(StoryPlayer.check_legible), so a too-small text or a weak contrast fails the story by name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from demo.player import JourneyFailed, Step
from kiosk.i18n import tr
from kiosk.state import Screen
from screens import theme

logger = logging.getLogger(__name__)


def _mode_is(player: Any, elder: bool) -> None:
    app = player.app
    if app.controller.state.elder_mode != elder or app.elder != elder:
        raise JourneyFailed(f"expected elder mode {'on' if elder else 'off'} on the {player.screen().value} screen")
    if elder and app.font_scale < theme.ELDER_FONT_SCALE:
        raise JourneyFailed(f"elder mode shows text at scale {app.font_scale}, under {theme.ELDER_FONT_SCALE}")


def elder_mode(player: Any) -> Iterator[Step]:
    """The resident turns 长辈模式 on at the attract screen; it holds through the PIN, the menu, a
    table, a print and the request for the card, and the next resident starts in the standard mode."""
    yield "screen", (Screen.ATTRACT, "attract screen")
    _mode_is(player, False)
    player.shot("attract")
    player.on_screen(tr("key.elder_on", "zh_CN"))
    player.press("elder")
    yield "settle", None
    _mode_is(player, True)
    player.on_screen(tr("key.elder_off", "zh_CN"))
    player.shot("attract-elder")
    player.world.insert_person(0)
    yield "screen", (Screen.PIN, "PIN screen after inserting the card")
    _mode_is(player, True)
    player.shot("pin-elder")
    for digit in player.person["pin"]:
        player.press(f"pin:{digit}")
    player.press("pin:ok")
    yield "screen", (Screen.MENU, "menu after the PIN")
    yield "settle", None
    player.shot("menu-elder")
    player.press("service:insurance_info")
    yield "screen", (Screen.RECORDS, "insurance screen")
    player.shot("insurance-elder")
    player.press("back")
    yield "screen", (Screen.MENU, "menu again")
    player.press("service:print_insured_certificate")
    yield "screen", (Screen.PRINT_PREVIEW, "print preview")
    player.shot("print-preview-elder")
    player.press("print")
    yield "screen", (Screen.MESSAGE, "print result")
    player.shot("printed-elder")
    player.press("continue")
    yield "screen", (Screen.MENU, "menu after printing")
    player.press("elder")  # and back: the switch works both ways within a session
    yield "settle", None
    _mode_is(player, False)
    player.shot("menu-standard")
    player.press("elder")
    yield "settle", None
    player.press("exit")
    yield "screen", (Screen.REMOVE_CARD, "remove-card screen")
    _mode_is(player, True)
    player.shot("remove-card-elder")
    player.world.pull_card()
    yield "screen", (Screen.ATTRACT, "attract screen after the card was pulled")
    _mode_is(player, player.app.controller.config.ui.elder_mode_default)
    player.shot("attract-again")
    player.check_nothing_left()


STAFF_DEMO_PIN = "480915"  # cli.ui.SCRIPT_SETTINGS["staff"] sets only its salted hash


def _corner_taps(player: Any) -> None:
    from kivy.base import EventLoop

    from demo.player import tap_at

    for _ in range(5):
        tap_at(10, EventLoop.window.height - 10)


def _unlock(player: Any) -> Iterator[Step]:
    _corner_taps(player)
    yield "screen", (Screen.MAINTENANCE, "the staff PIN prompt after five corner taps")
    player.shot("staff-pin")
    for digit in STAFF_DEMO_PIN:
        player.press(f"staff:{digit}")
    player.press("staff:ok")
    staff = player.app.controller.state
    yield "wait", (lambda: staff.staff is not None and staff.staff.unlocked, "the staff PIN to be accepted")
    yield "settle", None


def staff(player: Any) -> Iterator[Step]:
    """Staff open the maintenance screen by the hidden gesture and their PIN, print a test page,
    put the terminal out of service and leave; then back in service. A window close is refused
    while the kiosk is locked down (the demo allows it, so the story locks it for the check)."""
    from kivy.base import EventLoop

    controller = player.app.controller
    yield "screen", (Screen.ATTRACT, "attract screen")
    player.app.allow_close = False
    refused = EventLoop.window.dispatch("on_request_close")
    player.app.allow_close = True
    if not refused:
        raise JourneyFailed("the window close was not refused in lockdown")
    yield from _unlock(player)
    player.on_screen(controller.config.terminal.id)
    player.shot("staff-unlocked")
    player.press("staff:test_page")
    yield "wait", (lambda: controller.state.staff.result.startswith(("OK", "FAILED")), "the test page's result")
    yield "settle", None
    if not controller.state.staff.result.startswith("OK"):
        raise JourneyFailed(f"the test page failed: {controller.state.staff.result}")
    player.shot("staff-test-page")
    player.press("staff:maintenance")
    yield "settle", None
    player.press("staff:leave")
    yield "screen", (Screen.OUT_OF_SERVICE, "out of service after the staff left")
    player.shot("out-of-service")
    yield from _unlock(player)
    player.press("staff:maintenance")
    yield "settle", None
    player.press("staff:leave")
    yield "screen", (Screen.ATTRACT, "back in service")
    player.shot("attract-again")
