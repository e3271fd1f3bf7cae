"""Answers the scripted stories give the application wizards, entered by touching the screen.

``sample_answer`` is a plausible answer of each kind of question (kiosk.forms.FieldKind);
``enter`` is the story steps that type or pick it through the wizard's own buttons (keypads, the
division lists page by page, a Chinese text in pinyin through the candidate bar), so the tour and
the wizard journeys exercise what a resident touches. Answers can be overridden per field name (a journey that needs the resident's own
region, say).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any

from demo.photo_answers import TAKE_PHOTO, photo_step
from kiosk import divisions
from kiosk.forms import FieldKind, FormField, split_address
from kiosk.pinyin_index import is_hanzi

logger = logging.getLogger(__name__)

Step = tuple[str, Any]
CHINA = dt.timezone(dt.timedelta(hours=8))
SAMPLE_REGION = "110101"  # 北京市东城区: a 直辖市's county (two levels) unlike the terminal's 昆山 (three)
FACE_ATTEMPTS = 2  # the first capture and one 重试
FACE_TIMEOUT = 60.0  # two liveness challenges of the simulated person (a ~6 s loop) and the 1:1 check


def today() -> dt.date:
    return dt.datetime.now(CHINA).date()


def sample_answer(field: FormField, overrides: dict[str, str] | None = None) -> str:
    """A good answer of ``field`` (the first option of a choice), or the override of its name."""
    if overrides and field.name in overrides:
        return overrides[field.name]
    kind = field.kind
    if kind is FieldKind.CHOICE:
        return field.choices[0].value
    if kind is FieldKind.REGION:
        return SAMPLE_REGION
    if kind is FieldKind.ADDRESS:
        return "320583|A8-1203"
    if kind is FieldKind.DATE:
        return today().isoformat()
    if kind is FieldKind.AMOUNT:
        return "8000"
    if kind is FieldKind.PHONE:
        return "13912345678"
    if kind is FieldKind.TEXT:
        if field.pattern:
            return "A320583202400000001"
        # A free text is Chinese, typed in pinyin: the employer's name, the dispute's description.
        return "某某科技有限公司" if field.min_length < 10 else "拖欠工资两个月未发放"
    if kind is FieldKind.DIGITS:
        return "3205830101" if field.prefix else "123456"
    if kind is FieldKind.FACE:
        return ""  # the step's own answer: the gateway's id of the face check the camera passes
    if kind is FieldKind.PHOTO:
        return TAKE_PHOTO  # the simulated camera takes it (a receipt number as an override)
    return "123456"


def division_path(code: str) -> list[str]:
    """The codes to touch from the provinces down to ``code``."""
    path: list[str] = []
    at = divisions.division(code)
    while at is not None:
        path.insert(0, at.code)
        at = divisions.division(at.parent) if at.parent else None
    return path


def enter(player: Any, field: FormField, value: str, shot: Callable[[str], None] | None = None) -> Iterator[Step]:
    """Touch ``value`` into the FIELD step on screen (a choice, the lists, or a pad's keys); a
    Chinese text's candidate bar is photographed through ``shot`` (the tour's, to list it), else
    ``player.shot``."""
    state = player.app.controller.state
    if field.kind is FieldKind.CHOICE:
        player.press(f"wizard:choice:{value}")
        yield "settle", None
        return
    if field.kind is FieldKind.FACE:
        yield from _face(player, shot or player.shot)
        return
    if field.kind is FieldKind.PHOTO:
        yield from photo_step(player, field, value, shot or player.shot)
        return
    typed = value
    if field.kind in (FieldKind.REGION, FieldKind.ADDRESS):
        code, typed = split_address(value) if field.kind is FieldKind.ADDRESS else (value, "")
        for target in division_path(code):
            for _ in range(64):  # pages of the longest list, with room to spare
                page = state.wizard.picker if state.wizard is not None else None
                if page is None:
                    raise RuntimeError(f"{field.name}: the division list is gone before {target}")
                codes = [item.code for item in page.items]
                if target in codes:
                    player.press(f"wizard:pick:{codes.index(target)}")
                    yield "settle", None
                    break
                player.press("wizard:pick:next")
                yield "settle", None
            else:
                raise RuntimeError(f"{field.name}: {target} is on no page")
    elif field.kind is FieldKind.DATE:
        typed = value.replace("-", "")
    ime = state.wizard.ime if state.wizard is not None else None
    if ime is not None and ime.chinese != is_hanzi(typed):
        player.press("wizard:ime")  # 中/英 to the answer's script
        yield "settle", None
    if ime is not None and is_hanzi(typed):
        yield from _pinyin(player, field, typed, shot or player.shot)
        return
    for char in typed:  # the pad's buttons stay while it is typed on: no need to wait between keys
        player.press(f"wizard:key:{char}")
    yield "settle", None


def _pinyin(player: Any, field: FormField, text: str, shot: Callable[[str], None]) -> Iterator[Step]:
    """Type ``text``'s pinyin (read by pypinyin) on the letters, then touch the bar's candidates
    that begin what is still missing, the longest first, paging on when none is on the bar."""
    from pypinyin import Style, lazy_pinyin

    state = player.app.controller.state
    for letter in "".join(lazy_pinyin(text, style=Style.NORMAL)):
        player.press(f"wizard:key:{letter.upper()}")
    yield "settle", None
    shot(f"pinyin-{field.name}")  # the candidate bar
    for _ in range(4 * len(text)):  # a choice or a page per round, with room to spare
        view = state.wizard
        if view is None or view.ime is None:
            raise RuntimeError(f"{field.name}: the pinyin pad is gone")
        done = view.value.split("|")[-1]
        if done == text:
            return
        missing = text[len(done) :]
        fits = [c for c in view.ime.candidates if missing.startswith(c)]
        if fits:
            player.press(f"wizard:cand:{view.ime.candidates.index(max(fits, key=len))}")
        elif view.ime.has_next:
            player.press("wizard:cand:next")
        else:
            raise RuntimeError(f"{field.name}: no candidate begins {missing!r}")
        yield "settle", None
    raise RuntimeError(f"{field.name}: {text!r} was not typed")


def _face(player: Any, shot: Callable[[str], None]) -> Iterator[Step]:
    """The face step: the demo resident's live face before the simulated camera, 开始核验, the
    camera screen (``face-capture``), then the step again with the check passed (``face-done``).
    A failed capture is tried again once with 重试, as a resident would: on a loaded machine the
    simulated person's ~6 s loop can miss a liveness challenge's 8 s."""
    from kiosk.state import Screen

    state = player.app.controller.state
    player.world.show_face("match")
    for attempt in range(FACE_ATTEMPTS):
        player.press("wizard:face")
        yield "screen", (Screen.FACE, "the face step's camera")
        yield "wait", (lambda: state.face_preview is not None, "the camera's live picture")
        yield "settle", None
        if attempt == 0:
            shot("face-capture")
        yield (
            "wait",
            (
                lambda: (
                    player.showing(Screen.WIZARD)
                    and state.wizard is not None
                    and (bool(state.wizard.value) or state.wizard.failure is not None)
                ),
                "the face check's answer",
                FACE_TIMEOUT,
            ),
        )
        view = state.wizard
        if view is None or view.value:
            break
        logger.warning("face step attempt %d failed: %s", attempt + 1, view.failure)
        yield "settle", None
    player.world.show_face("none")
    yield "settle", None
    view = state.wizard
    if view is None or not view.value:
        raise RuntimeError(f"the face check did not pass ({view.failure if view else 'no wizard'})")
    shot("face-done")
