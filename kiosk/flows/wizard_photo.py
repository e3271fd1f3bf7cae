"""The PHOTO step of the application wizard: the 社保卡 photo, taken now or a photo receipt number.

The step's own screen (``WizardView.photo``, a :class:`PhotoView`) moves between modes:

    choose ─现在拍照─▶ camera ─rules held─▶ taken ─使用这张照片─▶ (upload, busy) ─▶ done
       │                 ▲ 返回 → choose     │ 重拍 → camera                        │ 重拍 / 输入照片回执号
       └─输入照片回执号─▶ receipt (the numeric pad; the answer is the number)

现在拍照 is offered only with a camera (``host.photo``) that has not failed in this wizard; without
one the step offers the receipt number only. While the camera runs, the preview comes with the
first problem (kiosk.photo_rules) in words. 使用这张照片 uploads the photo to the gateway on the
worker (busy screen); the answer becomes ``photo:<photo_id>``. An upload refused or failed goes
back to the photo with the reason and every answer kept.

The photo's bytes live only here and in ``state.wizard`` while the wizard runs: ``cancel`` (the
wizard left, the card pulled) drops them with the camera's run, and the session's end clears the
state (KioskState.clear_resident).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from kiosk.forms import FieldKind, FormField
from kiosk.photo_rules import RULES, rule_of
from kiosk.ports import FaceProgress, PhotoOutcome, PhotoPort
from kiosk.session import FlowHost
from kiosk.state import Message, Screen, WizardStep, WizardView

logger = logging.getLogger(__name__)

PHOTO_PREFIX = "photo:"
# Intents of the photo step's own buttons (the numeric pad's keys are the wizard's usual ones).
INTENTS = ("photo_camera", "photo_receipt", "photo_retake", "photo_use")


@dataclass(frozen=True)
class PhotoView:
    """What the photo step shows. ``mode``: "choose", "camera", "taken", "receipt" or "done";
    ``camera`` whether 现在拍照 is offered; ``preview`` the camera's frame (kiosk.ports.FaceProgress)
    and ``problem`` the i18n key of what to fix now, ``rule`` the rule it breaks (one of ``rules``);
    ``jpeg`` the photo taken (modes "taken" and "done")."""

    mode: str = "choose"
    camera: bool = False
    preview: Any = None
    problem: str | None = None
    rule: str | None = None
    rules: tuple[str, ...] = RULES
    jpeg: bytes | None = None


def is_photo(field: FormField | None) -> bool:
    return field is not None and field.kind is FieldKind.PHOTO


class PhotoStep:
    """The photo step's logic for one wizard run; ``answers`` is the wizard's own dict."""

    def __init__(self, host: FlowHost, answers: dict[str, str], show: Callable[..., None]) -> None:
        self.host = host
        self._answers = answers
        self._show = show  # the wizard's view of the current step (after the answer changed)
        self._mode: str | None = None  # None: not on a photo step
        self._jpeg: bytes | None = None
        self._camera_failed = False
        self._running = False
        self._run = 0  # which camera run the callbacks belong to

    # ------------------------------------------------------------------ the view
    def view(self, field: FormField | None) -> PhotoView | None:
        """The photo step's view of ``field`` (None for another step: the camera is stopped)."""
        if not is_photo(field):
            self._stop()
            self._mode = None
            return None
        answer = self._answers.get(field.name, "")
        if self._mode is None or (self._mode == "done" and not answer.startswith(PHOTO_PREFIX)):
            self._mode = "done" if answer.startswith(PHOTO_PREFIX) else "receipt" if answer else "choose"
        if self._mode == "done" and self._jpeg is None:
            self._mode = "choose"  # a photo of an earlier run of this step, no longer here
        return PhotoView(mode=self._mode, camera=self._camera_usable(), jpeg=self._jpeg)

    def _camera_usable(self) -> bool:
        return self._port() is not None and not self._camera_failed

    def _port(self) -> PhotoPort | None:
        return getattr(self.host, "photo", None)

    def _publish(self, **changes: Any) -> None:
        view = self.host.state.wizard
        if view is None or view.photo is None:
            return
        photo = replace(view.photo, mode=self._mode or "choose", camera=self._camera_usable(), jpeg=self._jpeg)
        photo = replace(photo, **{k: v for k, v in changes.items() if k in PhotoView.__dataclass_fields__})
        rest = {k: v for k, v in changes.items() if k not in PhotoView.__dataclass_fields__}
        self.host.state.wizard = replace(view, photo=photo, **rest)
        self.host.publish()

    # ------------------------------------------------------------------ intents
    def handle(self, intent: str, view: WizardView | None) -> bool:
        """Take ``intent`` if it is the photo step's; True when taken (the wizard does nothing more)."""
        if view is None or view.step is not WizardStep.FIELD or not is_photo(view.question):
            return False
        if self.host.state.screen is not Screen.WIZARD:
            return intent in INTENTS  # nothing of the photo's while the upload is under way
        field: FormField = view.question
        if intent == "photo_camera" or intent == "photo_retake":
            self._start_camera()
        elif intent == "photo_receipt":
            if self._answers.get(field.name, "").startswith(PHOTO_PREFIX):
                self._answers[field.name] = ""  # a number instead of the photo
            self._mode = "receipt"
            self._publish(value=self._answers.get(field.name, ""), error=None, failure=None)
        elif intent == "photo_use" and self._mode == "taken":
            self._upload(field)
        elif intent == "back" and self._mode in ("camera", "taken", "receipt"):
            self._stop()
            self._mode = "done" if self._answers.get(field.name, "").startswith(PHOTO_PREFIX) else "choose"
            if self._mode == "choose":
                self._answers[field.name] = ""
            self._publish(value=self._answers.get(field.name, ""), preview=None, error=None, failure=None)
        elif intent in ("type", "delete", "input"):
            return self._mode != "receipt"  # the pad types only a receipt number
        elif intent == "next" and self._mode == "camera":
            return True  # the photo is taken when the rules hold; 返回 stops the camera
        elif intent == "next" and self._mode == "taken":
            self._upload(field)  # 下一步 on a photo taken: use it
        elif intent == "next":
            if view.failure is not None:  # the photo's last message is not the next step's
                self.host.state.wizard = replace(view, failure=None)
            return False
        else:
            return intent in INTENTS
        return True

    # ------------------------------------------------------------------ the camera
    def _start_camera(self) -> None:
        port = self._port()
        if port is None or self._camera_failed:
            return
        self._stop()
        self._jpeg = None
        self._mode = "camera"
        self._run += 1
        run, host = self._run, self.host
        on_progress, on_done = host.guard(self._progress), host.guard(self._taken)
        post = host.post
        self._publish(preview=None, problem=None, rule=None, error=None, failure=None)
        self._running = True
        # The camera calls back on its own thread; post hands each call to the UI thread.
        port.start(
            lambda update: post(lambda: on_progress((run, update))),
            lambda outcome: post(lambda: on_done((run, outcome))),
        )

    def _stop(self) -> None:
        port = self._port()
        if self._running and port is not None:
            port.cancel()
        self._running = False

    def _progress(self, item: tuple[int, FaceProgress]) -> None:
        run, update = item
        if run != self._run or self._mode != "camera" or self.host.state.screen is not Screen.WIZARD:
            return
        self.host.touch()  # a resident following the rules is not idle
        self._publish(preview=update, problem=update.message_key, rule=rule_of(update.message_key))

    def _taken(self, item: tuple[int, PhotoOutcome]) -> None:
        run, outcome = item
        if run != self._run or self._mode != "camera":
            return
        self._running = False
        if outcome.taken:
            self._jpeg, self._mode = outcome.jpeg, "taken"
            self._publish(preview=None, problem=None, rule=None)
            return
        key = outcome.message_key or "photo.timeout"
        if key.startswith("camera."):
            logger.warning("the camera failed while taking the card photo: %s", key)
            self._camera_failed = True  # from now on only the receipt number is offered
            key = "photo.camera_failed"
        self._mode = "choose"
        self._publish(preview=None, problem=None, rule=None, failure=Message(key, is_error=True))

    # ------------------------------------------------------------------ the upload
    def _upload(self, field: FormField) -> None:
        host, jpeg = self.host, self._jpeg
        session_id = host.session.session_id
        if session_id is None or jpeg is None:
            return
        backend = host.backend
        host.state.busy_message = Message("photo.uploading")
        host.go(Screen.BUSY)

        def stored(answer: dict) -> None:
            self._answers[field.name] = PHOTO_PREFIX + str(answer["photo_id"])
            self._mode = "done"
            logger.info("card photo stored with the gateway")
            self._show(failure=None)

        def failed(exc: BaseException) -> None:
            self._mode = "taken"  # the photo stays: 使用这张照片 again, or 重拍
            self._show(failure=host.error_message(exc))

        host.run(lambda: backend.upload_card_photo(session_id, jpeg), stored, failed)

    def cancel(self) -> None:
        """The wizard ends (or the session): stop the camera, drop the photo."""
        self._stop()
        self._run += 1
        self._jpeg = None
        self._mode = None
