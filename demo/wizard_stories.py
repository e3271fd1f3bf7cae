"""The 办理 journeys: every application wizard of the catalogue, in one run of the app.

For each wizard, a resident the demo records let through (demo.wizard_probe asks the embedded
gateway's rules; nobody qualifies for some kinds, and those are answered with the gateway's refusal
on screen):

1. signs in with the card and PIN (a resident with no card, who alone may apply for a first card
   社保卡申领, with the 电子社保卡), opens the wizard, ticks the notice, answers up to the middle, and
   pulls the card (the cardless resident goes 首页 and 退出): the session ends (the card-removed message, then the attract screen) and the
   gateway has no new application of that kind;
2. signs in again (and stays signed in for the next wizard when the same resident fits), answers every question by touching the keypads and lists, submits, and either
   gets the result, prints the receipt (its number on the paper) and finds the application in the
   session's list (read through the backend client), or reads the gateway's refusal; either way
   exactly one or no application was made, never two.

At the end the last resident opens 办事进度 and finds each of their receipts there.

``wizards.json`` in the output directory records each wizard's outcome for the UI test.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from demo.photo_answers import SAMPLE_RECEIPT
from demo.player import JourneyFailed
from demo.wizard_answers import enter, sample_answer
from kiosk.services import CATALOGUE, WizardParams
from kiosk.state import Screen, WizardStep

logger = logging.getLogger(__name__)

Step = tuple[str, Any]
SUBMIT_TIMEOUT = 30.0
# 解挂 lifts the 临时挂失 the 挂失 journey just made, in the same session (a card reported lost
# cannot start a new one); its pulled-card run is 挂失's.
SAME_SESSION = {"card_unsuspend"}
# 补卡/换卡 takes its photo with the simulated camera (the sample answer); 社保卡申领 types a photo
# studio's receipt number, so both ways of the photo step are answered.
ANSWERS = {"card_application": {"photo": SAMPLE_RECEIPT}}


def _wizards() -> list[str]:
    return [name for name, spec in CATALOGUE.items() if isinstance(spec.params, WizardParams)]


def _log_in(player: Any, resident: dict[str, Any], index: int) -> Iterator[Step]:
    """Resident ``index`` signs in: the card and PIN, or (``esscard``: no card) the 电子社保卡."""
    yield "screen", (Screen.ATTRACT, "attract screen")
    if resident.get("esscard"):
        yield from player.sign_in_esscard(resident["ssn"])
        return
    player.world.insert_person(index)
    yield from player.sign_in(resident["pin"])


def _leave(player: Any, resident: dict[str, Any]) -> Iterator[Step]:
    """In the middle of the wizard the resident goes: the card pulled, or (no card to pull) 首页
    and 退出; either way the session ends with nothing of the resident left."""
    if not resident.get("esscard"):
        yield from _pull(player)
        return
    player.press("wizard:home")
    yield "screen", (Screen.MENU, "the menu, the wizard left")
    player.press("exit")
    yield "screen", (Screen.ATTRACT, "attract screen after an e-card session")
    player.check_nothing_left()


def _pull(player: Any) -> Iterator[Step]:
    """Pull the card in the middle of the session: its message, then (by itself) the attract screen."""
    player.world.pull_card()
    yield "screen", (Screen.MESSAGE, "the card-removed message")
    player.expect_message("card.removed")
    yield "screen", (Screen.ATTRACT, "attract screen after the card was pulled")
    player.check_nothing_left()


def _count(player: Any, kind: str) -> int:
    """How many applications of ``kind`` the signed-in resident has at the gateway."""
    controller = player.app.controller
    session_id = controller.session.session_id
    if session_id is None:
        raise JourneyFailed("no session to read the applications with")
    items = controller.backend.applications(session_id)["items"]
    return sum(1 for item in items if item["kind"] == kind)


def _step(player: Any, name: str, where: tuple[WizardStep, int]) -> Iterator[Step]:
    """Press 下一步 and wait for the wizard to move on (or to say why it cannot)."""
    state = player.app.controller.state
    player.press("wizard:next")
    yield (
        "wait",
        (
            lambda: (
                state.wizard is not None
                and ((state.wizard.step, state.wizard.step_number) != where or state.wizard.error is not None)
                and player.showing(Screen.WIZARD)
            ),
            f"{name}: the step after {where[0].value}",
        ),
    )
    yield "settle", None
    if state.wizard is not None and state.wizard.error is not None:
        raise JourneyFailed(f"{name}: the answer was refused on screen ({state.wizard.error})")


def _answer_until(
    player: Any, name: str, overrides: dict[str, str], stop: WizardStep, shots: bool = True
) -> Iterator[Step]:
    """From the menu: open the wizard and answer (a screenshot of each step with ``shots``) until
    ``stop`` is shown."""
    state = player.app.controller.state
    player.press(f"service:{name}")
    yield "screen", (Screen.WIZARD, f"{name}: the wizard")
    yield "settle", None
    while True:
        view = state.wizard
        if view is None:
            raise JourneyFailed(f"{name}: the wizard is gone")
        if view.step is stop or view.step is WizardStep.REVIEW:
            return
        player.on_screen(f"第 {view.step_number} 步，共 {view.step_count} 步")
        if shots:
            player.shot(f"{name}-{view.step_number}-{view.step.value}")
        if view.step is WizardStep.NOTICE:
            player.press("wizard:tick")
            yield "settle", None
        elif view.step is WizardStep.FIELD:
            yield from enter(player, view.question, sample_answer(view.question, overrides))
            yield "settle", None
        yield from _step(player, name, (view.step, view.step_number))


def _submit(player: Any, name: str, record: dict[str, Any]) -> Iterator[Step]:
    """On the review: submit; print the receipt and find it listed, or read the refusal."""
    state = player.app.controller.state
    player.shot(f"{name}-review")
    player.press("wizard:next")  # 确认提交
    yield (
        "wait",
        (
            lambda: (
                state.wizard is not None
                and (state.wizard.step is WizardStep.RESULT or state.wizard.failure is not None)
                and player.showing(Screen.WIZARD)
            ),
            f"{name}: the gateway's answer",
            SUBMIT_TIMEOUT,
        ),
    )
    yield "settle", None
    view = state.wizard
    if view.failure is not None:
        player.shot(f"{name}-refused")
        record.update(outcome="refused", reason=view.failure.key, text=view.failure.params.get("text", ""))
        player.press("wizard:home")
        yield "screen", (Screen.MENU, f"{name}: the menu after the refusal")
        return
    player.on_screen("申请已提交")
    player.shot(f"{name}-result")
    number = str((view.receipt or {}).get("number", ""))
    player.press("wizard:next")  # 打印回执
    yield "screen", (Screen.MESSAGE, f"{name}: the receipt's print result")
    player.expect_message("print.done")
    listed = controller_numbers(player, name)
    record.update(
        outcome="receipt",
        number=number,
        printed=bool(number) and number.encode("ascii") in player.world.printed_bytes(),
        listed=number in listed,
    )
    yield "screen", (Screen.MENU, f"{name}: the menu after the receipt")  # the message times out


def controller_numbers(player: Any, kind: str) -> list[str]:
    """The numbers of the resident's applications of ``kind`` (办事进度, through the backend)."""
    controller = player.app.controller
    items = controller.backend.applications(controller.session.session_id)["items"]
    return [item["number"] for item in items if item["kind"] == kind]


def wizards(player: Any) -> Iterator[Step]:
    """Every wizard: a card pulled mid-way, then the whole application (see the module's doc).
    The resident stays signed in from one wizard's result to the next wizard's pulled run when the
    same resident fits both: one sign-in per wizard, not two."""
    from demo.wizard_probe import cardless, find

    server = player.world.server
    ctx = server._ctx  # noqa: SLF001 - the demo's own in-process gateway
    # The residents with a card (world.people, by index), then those without one (电子社保卡).
    people = [*player.world.people, *cardless(ctx)]
    records: list[dict[str, Any]] = []
    signed_in: int | None = None
    for name in _wizards():
        form = CATALOGUE[name].params.form
        pick = find(ctx, server.terminal_id, people, name, form, set())
        index, overrides = (pick.person, pick.overrides) if pick else (0, {})
        resident = people[index]
        overrides = {**ANSWERS.get(name, {}), **overrides}
        record: dict[str, Any] = {"service": name, "person": index, "eligible": pick is not None}
        if signed_in != index:
            if signed_in is not None:
                yield from _pull_at_menu(player, people[signed_in])
            yield from _log_in(player, resident, index)
        before = _count(player, name)
        if name in SAME_SESSION:  # its card is 临时挂失 now: a new session could not start with it
            record["pulled_mid_wizard_made"] = 0
        else:
            yield from _answer_until(player, name, overrides, WizardStep.FIELD, shots=False)
            player.shot(f"{name}-before-pull")
            yield from _leave(player, resident)
            yield from _log_in(player, resident, index)
            record["pulled_mid_wizard_made"] = _count(player, name) - before
        signed_in = index
        yield from _answer_until(player, name, overrides, WizardStep.REVIEW, shots=False)  # the tour has them
        yield from _submit(player, name, record)
        record["made"] = _count(player, name) - before
        records.append(record)
        logger.info("wizard journey %s: %s", name, record.get("outcome"))
    yield from _progress_screen(player, [r for r in records if r["person"] == signed_in])
    yield from _pull_at_menu(player, people[signed_in] if signed_in is not None else {})
    (player.out_dir / "wizards.json").write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")


def _progress_screen(player: Any, records: list[dict[str, Any]]) -> Iterator[Step]:
    """办事进度 of the resident still signed in: each of their receipts is listed on the screen
    (``on_progress_screen`` in their records)."""
    player.press("service:applications")
    yield "screen", (Screen.RECORDS, "办事进度")
    yield "settle", None
    player.shot("applications")
    table = player.app.controller.state.records
    shown = " ".join(" ".join(row) for row in (table.rows if table is not None else []))
    for record in records:
        if record.get("number"):
            record["on_progress_screen"] = record["number"] in shown
    player.press("back")
    yield "screen", (Screen.MENU, "menu after 办事进度")


def _pull_at_menu(player: Any, resident: dict[str, Any]) -> Iterator[Step]:
    player.press("exit")
    if resident.get("esscard"):
        yield "screen", (Screen.ATTRACT, "attract screen after an e-card session")
        return
    yield "screen", (Screen.REMOVE_CARD, "remove-card screen")
    player.world.pull_card()
    yield "screen", (Screen.ATTRACT, "attract screen after the card was taken")
