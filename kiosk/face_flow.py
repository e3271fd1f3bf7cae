"""Face verification inside the resident session (a part of KioskController, kept in its own file).

PIN screen → FACE (live preview, guide oval, one instruction at a time) → the capture passes the
quality gates and two action-liveness challenges → the best live frames go to the gateway's 1:1
check → MENU. A failed capture or a refused face (mismatch, daily lock, no enrolled photo) returns
to the PIN screen with the reason, so the PIN is always the way in; other errors end the session.
The preview frames are biometric data: they live only in ``state.face_preview`` while the camera
runs and are dropped with the rest of the resident's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.errors import BackendRejected
from kiosk.ports import FaceOutcome, FaceProgress
from kiosk.state import Message, Screen

if TYPE_CHECKING:
    from kiosk.controller import KioskController


class FaceVerificationFlow:
    """Mixed into KioskController; uses its state, worker, backend and helpers."""

    def choose_face(self: KioskController) -> None:
        """Verify by face instead of the PIN: camera capture with action liveness, then the server's 1:1 check."""
        self._touch()
        if self.state.screen is not Screen.PIN or self._face is None or self._card is None:
            return
        gen = self._generation
        self._pin_digits.clear()
        self.state.pin_length = 0
        self.state.face_preview = None
        self.state.face_message = Message("face.capture.look")
        self._go(Screen.FACE)

        def progress(update: FaceProgress) -> None:
            self._worker.post(lambda: self._guard(gen, self._face_progress)(update))

        def done(outcome: FaceOutcome) -> None:
            self._worker.post(lambda: self._guard(gen, self._face_captured)(outcome))

        self._face.start(progress, done)

    def cancel_face(self: KioskController) -> None:
        self._touch()
        if self.state.screen is Screen.FACE and self._face is not None:
            self._face.cancel()  # the capture ends with face.capture.cancelled and we go back to the PIN

    def _face_progress(self: KioskController, update: FaceProgress) -> None:
        if self.state.screen is not Screen.FACE:
            return
        self._touch()  # a resident following instructions is not idle
        self.state.face_preview = update
        if update.message_key:
            self.state.face_message = Message(update.message_key)
        self._publish()

    def _face_captured(self: KioskController, outcome: FaceOutcome) -> None:
        self.state.face_preview = None
        if not outcome.passed:
            cancelled = outcome.message_key == "face.capture.cancelled"
            self.state.pin_message = (
                None if cancelled else Message(outcome.message_key or "face.liveness.failed", is_error=True)
            )
            self._go(Screen.PIN)
            return
        card, gen = self._card, self._generation
        if card is None:
            return
        self.state.busy_message = Message("face.verifying")
        self._go(Screen.BUSY)
        frames = outcome.frames
        self._worker.submit(
            lambda: self._backend.start_face_session(card.ssn, card.card_number, frames),
            self._guard(gen, self._session_started),
            self._guard(gen, self._face_refused),
        )

    def _face_refused(self: KioskController, exc: BaseException) -> None:
        """A refused face (mismatch, locked, no photo) leaves the PIN as the way in; other errors end."""
        if isinstance(exc, BackendRejected) and exc.status_code in (403, 409, 422, 429):
            self.state.pin_message = self._error_message(exc)
            self._go(Screen.PIN)
            return
        self._fail_to_remove_card(exc)
