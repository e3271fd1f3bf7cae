"""The 社保卡 photo step (kiosk.flows.wizard_photo) touched like a resident, for the stories.

``TAKE_PHOTO`` is the answer that stands for "take it now with the camera": the demo resident
stands before the simulated camera on a plain light wall (scene ``portrait:astronaut``), 现在拍照,
the live picture with the rules (``photo-camera``), the photo taken (``photo-taken``), 使用这张照片,
and the step again with the photo saved (``photo-done``). Any other answer is a photo receipt
number typed on the pad after 输入照片回执号 (``photo-receipt``). ``SAMPLE_RECEIPT`` is the number the
demo uses; the rules' probe (demo.wizard_probe) takes it in place of a photo not taken yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from kiosk.forms import FormField

logger = logging.getLogger(__name__)

Step = tuple[str, Any]
# A photo reference of the form's shape (so a form made of sample answers is well formed); on
# screen it means: take the photo, whose own reference the gateway then gives.
TAKE_PHOTO = "photo:" + "0" * 32
SAMPLE_RECEIPT = "20261201000001"
PORTRAIT_SCENE = "portrait:astronaut"
PHOTO_TIMEOUT = 30.0  # the rules held for a steady moment on the simulated camera, then the upload


def photo_step(player: Any, field: FormField, value: str, shot: Callable[[str], None]) -> Iterator[Step]:
    """Answer the photo step on screen with ``value`` (``TAKE_PHOTO`` or a receipt number)."""
    from kiosk.state import Screen

    state = player.app.controller.state

    def mode() -> str:
        photo = state.wizard.photo if state.wizard is not None else None
        return photo.mode if photo is not None else ""

    if value != TAKE_PHOTO:
        player.press("wizard:photo:receipt")
        yield "wait", (lambda: mode() == "receipt", "the photo receipt number's keypad")
        yield "settle", None
        for char in value:
            player.press(f"wizard:key:{char}")
        yield "settle", None
        shot("photo-receipt")
        return
    player.world.show_face(PORTRAIT_SCENE)
    player.press("wizard:photo:take")
    yield (
        "wait",
        (lambda: mode() == "taken" or (state.wizard.photo.preview is not None), "the camera's live picture"),
    )
    if mode() == "camera":
        yield "settle", None
        shot("photo-camera")
    yield "wait", (lambda: mode() != "camera", "the photo taken", PHOTO_TIMEOUT)
    player.world.show_face("none")
    if mode() != "taken":
        failure = state.wizard.failure if state.wizard is not None else None
        raise RuntimeError(f"{field.name}: no photo was taken ({failure})")
    yield "settle", None
    shot("photo-taken")
    player.press("wizard:photo:use")
    yield (
        "wait",
        (
            lambda: player.showing(Screen.WIZARD) and (mode() == "done" or state.wizard.failure is not None),
            "the photo saved with the gateway",
            PHOTO_TIMEOUT,
        ),
    )
    yield "settle", None
    if mode() != "done":
        raise RuntimeError(f"{field.name}: the photo was not saved ({state.wizard.failure})")
    shot("photo-done")
