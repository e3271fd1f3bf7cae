"""The FACE step of an application wizard: the resident shows the camera, live, that it is them.

On the step's screen the resident presses 开始核验; the camera screen (Screen.FACE, as for face
sign-in) runs the same capture: quality gates, two action-liveness challenges, a live preview.
The best live frames go to the gateway's 1:1 check of the open session
(``Backend.face_check``: the card is not asked again); a match is the step's answer, the check's
id, which the review shows as 已完成人脸核验 and the submission sends. A failed capture or a refused
face comes back to the step with the reason and 重试; the gateway's daily lock (shared with face
sign-in) says to go to the counter and offers no retry. A session opened by face skips the step:
the gateway takes that session as the face check.

The frames are biometric data: they live in the capture's callback and the upload job only, and
the preview in ``state.face_preview`` only while the camera runs. A card pulled mid-capture ends
the session: the wizard cancels the camera and every late callback is dropped (FlowHost.guard).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from kiosk.errors import FaceRefused
from kiosk.flows.face import show_face_progress
from kiosk.forms import FieldKind, FormField
from kiosk.i18n import N_
from kiosk.ports import FaceOutcome, FaceProgress
from kiosk.session import FlowHost
from kiosk.state import Message, Screen, WizardStep, WizardView

logger = logging.getLogger(__name__)

CHECK_ID = re.compile(r"^[0-9a-f]{32}$")
# WizardView.face_status: how the step stands (its button and words follow it).
NOT_DONE, FAILED, LOCKED, DONE = "", "failed", "locked", "done"


def skipped(host: FlowHost, field: FormField | None) -> bool:
    """A FACE question is not put to a resident whose session the gateway opened by face."""
    return field is not None and field.kind is FieldKind.FACE and host.session.by_face


class FaceStep:
    """One wizard's face step. ``answers`` is the wizard's own dict (the check id is written there);
    ``show(**changes)`` puts the wizard's screen back with those WizardView changes."""

    def __init__(self, host: FlowHost, answers: dict[str, str], show: Callable[..., None]) -> None:
        self.host = host
        self._answers = answers
        self._show = show
        self._field: FormField | None = None
        self._running = False

    def handle(self, intent: str, view: WizardView | None) -> bool:
        """Take the intents that are this step's: 开始核验 / 重试 on the step, 取消 on the camera screen."""
        screen = self.host.state.screen
        if intent == "cancel" and screen is Screen.FACE and self._running:
            self.cancel()  # the capture ends with face.capture.cancelled: back to the step
            return True
        if intent != "face" or screen is not Screen.WIZARD or view is None:
            return False
        field = view.question
        if view.step is not WizardStep.FIELD or field is None or field.kind is not FieldKind.FACE:
            return False
        if view.face_status != LOCKED and not self._running:
            self._start(field)
        return True

    def cancel(self) -> None:
        """Stop the camera (the session ended or the resident cancelled)."""
        face = self.host.face
        if self._running and face is not None:
            face.cancel()

    def _start(self, field: FormField) -> None:
        host, face = self.host, self.host.face
        if face is None:
            self._show(face_status=FAILED, failure=Message("service.camera_unavailable", is_error=True))
            return
        self._field = field
        state = host.state
        state.face_preview = None
        state.face_title = N_("wizard.face.title")
        state.face_message = Message("face.capture.look")
        host.go(Screen.FACE)
        on_progress, on_done = host.guard(self._progress), host.guard(self._captured)
        post = host.post
        self._running = True
        # The capture calls back on the camera's thread; post hands each call to the UI thread.
        face.start(lambda update: post(lambda: on_progress(update)), lambda out: post(lambda: on_done(out)))

    def _progress(self, update: FaceProgress) -> None:
        show_face_progress(self.host, update)

    def _captured(self, outcome: FaceOutcome) -> None:
        self._running = False
        host = self.host
        host.state.face_preview = None
        if not outcome.passed:
            if outcome.message_key == "face.capture.cancelled":
                self._show(failure=None)
            else:
                failure = Message(outcome.message_key or "face.liveness.failed", is_error=True)
                self._show(face_status=FAILED, failure=failure)
            return
        session_id = host.session.session_id
        if session_id is None:
            return
        host.state.busy_message = Message("face.verifying")
        host.go(Screen.BUSY)
        frames, backend = outcome.frames, host.backend
        host.run(lambda: backend.face_check(session_id, frames), self._checked, self._refused)

    def _checked(self, answer: Any) -> None:
        check_id = str(answer.get("face_check_id", "")) if isinstance(answer, dict) else ""
        if self._field is None or not CHECK_ID.match(check_id):
            logger.warning("face check answer without a usable id")
            self._show(face_status=FAILED, failure=Message("backend.unavailable", is_error=True))
            return
        self._answers[self._field.name] = check_id
        logger.info("wizard face check passed")
        self._show(face_status=DONE, failure=None)

    def _refused(self, exc: BaseException) -> None:
        """A refused face (or an outage) comes back to the step with the reason; after the daily
        lock the gateway's words send the resident to the counter, and 重试 is gone."""
        locked = isinstance(exc, FaceRefused) and exc.code == "face_locked"
        logger.info("wizard face check refused: %s", getattr(exc, "code", type(exc).__name__))
        self._show(face_status=LOCKED if locked else FAILED, failure=self.host.error_message(exc))
