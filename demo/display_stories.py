"""Stories about how the screens look: 长辈模式 (elder mode) and the tour of every screen.

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


TOUR_FILE = "tour.json"
SETTLED = (Screen.RECORDS, Screen.PRINT_PREVIEW, Screen.MESSAGE, Screen.WIZARD)


class _Tour:
    """The tour's bookkeeping: each screenshot with its service, screen, language and mode."""

    def __init__(self, player: Any) -> None:
        self.player = player
        self.entries: list[dict[str, Any]] = []
        self.language = "zh_CN"
        self.mode = "normal"

    def shot(self, service: str | None, name: str) -> None:
        player = self.player
        player.shot(f"{self.language}-{self.mode}-{service or 'session'}-{name}")
        self.entries.append(
            {"service": service, "screen": name, "language": self.language, "mode": self.mode, "file": player.shots[-1]}
        )


def _settled(player: Any) -> tuple[Any, str]:
    return (lambda: player.screen() in SETTLED and player.showing(player.screen()), "the service's screen")


def _wizard_at(player: Any, *steps: Any) -> tuple[Any, str]:
    state = player.app.controller.state

    def at() -> bool:
        view = state.wizard
        return view is not None and (view.step in steps or view.failure is not None) and player.showing(Screen.WIZARD)

    return at, "wizard step " + "/".join(step.value for step in steps)


def _query(tour: _Tour, service: str) -> Iterator[Step]:
    player = tour.player
    yield "wait", _settled(player)
    yield "settle", None
    tour.shot(service, player.screen().value)


def _certificate(tour: _Tour, service: str) -> Iterator[Step]:
    player = tour.player
    yield "wait", _settled(player)
    yield "settle", None
    tour.shot(service, player.screen().value)
    if player.screen() is Screen.PRINT_PREVIEW:
        player.press("print")
        yield "screen", (Screen.MESSAGE, "print result")
        tour.shot(service, "message")


def _wizard(tour: _Tour, service: str) -> Iterator[Step]:
    from demo.wizard_answers import enter, sample_answer
    from kiosk.state import WizardStep

    player = tour.player
    state = player.app.controller.state
    yield "screen", (Screen.WIZARD, "the wizard")
    while True:
        yield "settle", None
        view = state.wizard
        if view is None:
            raise JourneyFailed(f"{service}: the wizard is gone")
        tour.shot(service, f"wizard-{view.step.value}" + ("-failure" if view.failure else ""))
        if view.failure is not None or view.step is WizardStep.RESULT:
            break
        step = view.step
        if step is WizardStep.NOTICE:
            player.press("wizard:tick")
            yield "settle", None
        elif step is WizardStep.FIELD:
            # The candidate bar of a text typed in pinyin is one of the tour's screens too.
            bar = lambda name: tour.shot(service, name)  # noqa: E731 - a one-line callback
            yield from enter(player, view.question, sample_answer(view.question), shot=bar)
            yield "settle", None
        where = (view.step, view.step_number)
        player.press("wizard:next")
        yield (
            "wait",
            (
                lambda where=where: (
                    state.wizard is not None
                    and ((state.wizard.step, state.wizard.step_number) != where or state.wizard.failure is not None)
                    and player.showing(Screen.WIZARD)
                ),
                f"{service}: the wizard's step after {step.value}",
            ),
        )
    if state.wizard is not None and state.wizard.step is WizardStep.RESULT:
        player.press("wizard:next")  # 打印回执
        yield "screen", (Screen.MESSAGE, "the receipt's print result")
        tour.shot(service, "message")


def _change_pin(tour: _Tour, service: str) -> Iterator[Step]:
    """The 修改密码 pad's first step (the whole change: demo.change_pin_stories), then 返回."""
    player = tour.player
    yield "wait", (lambda: player.showing(Screen.CHANGE_PIN), "the change-PIN pad")
    yield "settle", None
    tour.shot(service, "change_pin")
    player.press("back")


FLOW_VISITS = {"query": _query, "certificate": _certificate, "wizard": _wizard, "change_pin": _change_pin}


def tour(player: Any) -> Iterator[Step]:
    """Every screen of every service in the catalogue, in both display modes and every language:
    one PNG per screen and ``tour.json`` listing them (service, screen, language, mode, file).
    ``main.py`` runs it with every catalogue service enabled (cli.ui.SCRIPT_SETTINGS)."""
    import json

    from kiosk.i18n import LANGUAGES
    from kiosk.services import CATALOGUE

    record = _Tour(player)
    controller = player.app.controller
    for language in LANGUAGES:
        for elder in (False, True):
            record.language, record.mode = language, "elder" if elder else "normal"
            yield "screen", (Screen.ATTRACT, "attract screen")
            player.press(f"language:{language}")
            yield "settle", None
            if controller.state.elder_mode != elder:
                player.press("elder")
                yield "settle", None
            _mode_is(player, elder)
            record.shot(None, "attract")
            player.world.insert_person(0)
            yield "screen", (Screen.PIN, "PIN screen")
            record.shot(None, "pin")
            for digit in player.person["pin"]:
                player.press(f"pin:{digit}")
            player.press("pin:ok")
            yield "screen", (Screen.MENU, "menu")
            record.shot(None, "menu")
            for service, spec in CATALOGUE.items():
                player.enabled(f"service:{service}")
                player.press(f"service:{service}")
                yield from FLOW_VISITS[spec.flow](record, service)
                if player.screen() is not Screen.MENU:
                    controller.back_to_menu()  # 返回/继续 were pressed in the stories; the intent is the same
                yield "screen", (Screen.MENU, f"menu after {service}")
            if controller.state.language != language or controller.state.elder_mode != elder:
                raise JourneyFailed("the language or the display mode changed during the session")
            player.press("exit")
            yield "screen", (Screen.REMOVE_CARD, "remove-card screen")
            record.shot(None, "remove_card")
            player.world.pull_card()
    yield "screen", (Screen.ATTRACT, "attract screen at the end")
    (player.out_dir / TOUR_FILE).write_text(json.dumps(record.entries, ensure_ascii=False, indent=1), encoding="utf-8")
