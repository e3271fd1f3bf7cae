"""The tour: every screen of every service, in both display modes and all three languages.

``main.py --demo --script tour`` (cli.ui.SCRIPT_SETTINGS offers every catalogue service) makes one
pass per language and mode. Each pass: demo resident 0 signs in (attract, PIN and menu screens),
opens every query, print and card service, meets one application the rules refuse them (the screen
a refused resident sees; the kind of fewest questions) and signs out (the remove-card screen). Then
residents the gateway's rules let through (demo.tour_plan) sign in one after the other (with their
card and PIN; one without a card, for 社保卡申领, with the 电子社保卡), each making every application
they can, so that every wizard reaches its result and the receipt's print message; a kind nobody in
the demo world can make would be shown refused. 缴费明细 also shows a chosen
preset period, the from–to editor, the table of the months chosen there and the preview of their
缴费凭证 (打印本期); 缴费凭证 from the menu shows its months chooser first.

It writes one PNG per screen and ``tour.json`` listing them (service, screen, language, mode,
file); docs/screens.md says what each screen is (tests/ui/test_tour.py keeps the two in step).
Every screenshot keeps the legibility rules of its mode (demo.player.StoryPlayer.check_legible).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from demo.display_stories import _mode_is
from demo.player import JourneyFailed, Step
from demo.tour_plan import REFUSED_BY, TourPlan, wizard_kinds
from kiosk.periods import MONTHS
from kiosk.state import Screen, WizardStep

logger = logging.getLogger(__name__)

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


def _table(player: Any, what: str, check: Any) -> tuple[Any, str]:
    state = player.app.controller.state

    def ready() -> bool:
        return player.showing(Screen.RECORDS) and state.records is not None and bool(check(state.records))

    return ready, what


def _query(tour: _Tour, service: str) -> Iterator[Step]:
    """The table; for a table of chosen months (缴费明细) also a preset chosen, the from–to editor
    and the table of the months chosen in it."""
    from kiosk.services import CATALOGUE

    player = tour.player
    state = player.app.controller.state
    yield "wait", _settled(player)
    yield "settle", None
    tour.shot(service, player.screen().value)
    if player.screen() is not Screen.RECORDS or getattr(CATALOGUE[service].params, "period", None) != MONTHS:
        return
    player.press("period:last_year")
    yield "wait", _table(player, f"{service} of last year", lambda r: r.period.preset == "last_year")
    yield "settle", None
    tour.shot(service, "period-last_year")
    player.press("period:custom")
    yield "wait", _table(player, f"{service}: the from–to editor", lambda r: r.period.editing)
    yield "settle", None
    tour.shot(service, "period-editor")
    player.press("period:from:-12")
    yield "settle", None
    player.press("period:apply")
    yield "wait", _table(player, f"{service}: the months chosen", lambda r: r.period.preset == "custom")
    yield "settle", None
    tour.shot(service, "period-custom")
    if state.records.print_key is not None:  # 打印本期…: the certificate of the months on screen
        player.press("print")
        yield "screen", (Screen.PRINT_PREVIEW, f"{service}: the certificate of the months chosen")
        tour.shot(service, "print_preview")


def _certificate(tour: _Tour, service: str) -> Iterator[Step]:
    """The preview (after the months chooser and its 预览 for a certificate of chosen months:
    缴费凭证) and the print's message."""
    player = tour.player
    yield "wait", _settled(player)
    yield "settle", None
    tour.shot(service, player.screen().value)
    if player.screen() is Screen.RECORDS:
        player.press("print")  # 预览
        yield "screen", (Screen.PRINT_PREVIEW, f"{service}: the preview")
        tour.shot(service, player.screen().value)
    if player.screen() is Screen.PRINT_PREVIEW:
        player.press("print")
        yield "screen", (Screen.MESSAGE, "print result")
        tour.shot(service, "message")


def _wizard(tour: _Tour, service: str, overrides: dict[str, str] | None = None, shots: bool = True) -> Iterator[Step]:
    """Every step of the wizard with ``overrides`` for the samples (demo.wizard_answers), to the
    result and the receipt's print message, or to the refusal; with ``shots`` False only the
    refusal is photographed (the steps are the eligible resident's)."""
    from demo.wizard_answers import enter, sample_answer

    player = tour.player
    state = player.app.controller.state
    yield "screen", (Screen.WIZARD, "the wizard")
    while True:
        yield "settle", None
        view = state.wizard
        if view is None:
            raise JourneyFailed(f"{service}: the wizard is gone")
        if shots or view.failure is not None:
            tour.shot(service, f"wizard-{view.step.value}" + ("-failure" if view.failure else ""))
        if view.failure is not None or view.step is WizardStep.RESULT:
            break
        step = view.step
        if step is WizardStep.NOTICE:
            player.press("wizard:tick")
            yield "settle", None
        elif step is WizardStep.FIELD:
            # The candidate bar of a text typed in pinyin is one of the tour's screens too.
            bar = (lambda name: tour.shot(service, name)) if shots else (lambda _name: None)
            yield from enter(player, view.question, sample_answer(view.question, overrides), shot=bar)
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


FLOW_VISITS = {"query": _query, "certificate": _certificate, "change_pin": _change_pin}


def _sign_in(tour: _Tour, plan: TourPlan, index: int, elder: bool, shots: bool) -> Iterator[Step]:
    """At the attract screen: the pass's language and mode, then resident ``index``'s card and
    PIN, or (``esscard`` in their entry: no card) their 电子社保卡 shown to the camera."""
    player = tour.player
    resident = plan.resident(index)
    controller = player.app.controller
    yield "screen", (Screen.ATTRACT, "attract screen")
    player.press(f"language:{tour.language}")
    yield "settle", None
    if controller.state.elder_mode != elder:
        player.press("elder")
        yield "settle", None
    _mode_is(player, elder)
    if shots:
        tour.shot(None, "attract")
    if resident.get("esscard"):
        yield from player.sign_in_esscard(resident["ssn"])
        return
    player.world.insert_person(index)
    yield "screen", (Screen.PIN, "PIN screen")
    if shots:
        tour.shot(None, "pin")
    for digit in resident["pin"]:
        player.press(f"pin:{digit}")
    player.press("pin:ok")
    yield "screen", (Screen.MENU, "menu")
    if shots:
        tour.shot(None, "menu")


def _sign_out(tour: _Tour, resident: dict[str, Any], elder: bool, shots: bool) -> Iterator[Step]:
    """退出, then the card taken (the remove-card screen), or straight to the attract screen."""
    player = tour.player
    controller = player.app.controller
    if controller.state.language != tour.language or controller.state.elder_mode != elder:
        raise JourneyFailed("the language or the display mode changed during the session")
    player.press("exit")
    if resident.get("esscard"):
        yield "screen", (Screen.ATTRACT, "attract screen after an e-card session")
        return
    yield "screen", (Screen.REMOVE_CARD, "remove-card screen")
    if shots:
        tour.shot(None, "remove_card")
    player.world.pull_card()


def _open(tour: _Tour, service: str, visit: Iterator[Step]) -> Iterator[Step]:
    """From the menu: open ``service``, run its visit, and be back at the menu."""
    player = tour.player
    player.enabled(f"service:{service}")
    player.press(f"service:{service}")
    yield from visit
    if player.screen() is not Screen.MENU:
        player.app.controller.back_to_menu()  # 返回/继续 were pressed in the stories; the intent is the same
    yield "screen", (Screen.MENU, f"menu after {service}")


def _pass(tour: _Tour, plan: TourPlan, elder: bool) -> Iterator[Step]:
    """One language and mode: resident 0's session, then the wizards' residents'."""
    from kiosk.services import CATALOGUE

    kinds = wizard_kinds()
    first = plan.resident(REFUSED_BY)
    yield from _sign_in(tour, plan, REFUSED_BY, elder, shots=True)
    for service, spec in CATALOGUE.items():
        if spec.flow != "wizard":
            yield from _open(tour, service, FLOW_VISITS[spec.flow](tour, service))
    refused = plan.refusal(kinds)
    if refused is not None:  # what a resident the rules refuse meets
        yield from _open(tour, refused, _wizard(tour, refused, shots=False))
    yield from _sign_out(tour, first, elder, shots=True)
    left = list(kinds)
    signed_in: int | None = None
    while left:
        chosen = plan.next_for(signed_in, left) if signed_in is not None else None
        if chosen is None:
            chosen = plan.next_resident(left)
            if chosen is None:
                break
            if signed_in is not None:
                yield from _sign_out(tour, plan.resident(signed_in), elder, shots=False)
            signed_in = chosen[1].person
            yield from _sign_in(tour, plan, signed_in, elder, shots=False)
        kind, pick = chosen
        left.remove(kind)
        yield from _open(tour, kind, _wizard(tour, kind, pick.overrides))
    if left:
        logger.warning("tour: nobody in the demo world can make %s; shown refused", ", ".join(left))
        if signed_in is None:
            signed_in = REFUSED_BY
            yield from _sign_in(tour, plan, signed_in, elder, shots=False)
        for kind in left:
            yield from _open(tour, kind, _wizard(tour, kind))
    if signed_in is not None:
        yield from _sign_out(tour, plan.resident(signed_in), elder, shots=False)


def tour(player: Any) -> Iterator[Step]:
    """Every screen of every service in the catalogue, in both display modes and every language
    (see the module's doc): one PNG per screen and ``tour.json`` listing them."""
    from kiosk.i18n import LANGUAGES

    record = _Tour(player)
    plan = TourPlan(player.world)
    for language in LANGUAGES:
        for elder in (False, True):
            record.language, record.mode = language, "elder" if elder else "normal"
            yield from _pass(record, plan, elder)
    yield "screen", (Screen.ATTRACT, "attract screen at the end")
    (player.out_dir / TOUR_FILE).write_text(json.dumps(record.entries, ensure_ascii=False, indent=1), encoding="utf-8")
