"""Identification by face instead of the PIN, once the card is read.

PIN screen → FACE (live preview, guide oval, one instruction at a time) → the capture passes the
quality gates and two action-liveness challenges → the card answers the gateway's challenge with
its card-presence key and the best live frames go with that proof to the gateway's 1:1 check
(kiosk.card_sign_in) → menu. A failed capture or a refused face (mismatch, daily lock, no enrolled photo) returns
to the PIN screen with the reason, so the PIN is always the way in; other errors end the session.
The preview frames are biometric data: they live only in ``state.face_preview`` while the camera
runs and are dropped with the rest of the resident's data.
"""

from __future__ import annotations

from kiosk.card_sign_in import sign_in_with_face
from kiosk.errors import FaceRefused
from kiosk.i18n import N_
from kiosk.ports import FaceOutcome, FacePort, FaceProgress
from kiosk.session import Flow, FlowHost
from kiosk.state import Message, Screen


def show_face_progress(host: FlowHost, update: FaceProgress) -> None:
    """One frame of a face capture on the FACE screen (face sign-in, the wizards' FACE step): the
    preview and the instruction; a resident following instructions is not idle."""
    if host.state.screen is not Screen.FACE:
        return
    host.touch()
    host.state.face_preview = update
    if update.message_key:
        host.state.face_message = Message(update.message_key)
    host.publish()


class FaceFlow(Flow):
    """One capture and verification; ``cancel`` stops the camera (the capture then reports cancelled)."""

    def __init__(self, host: FlowHost, face: FacePort) -> None:
        super().__init__(host)
        self._face = face
        self._running = False

    def start(self) -> None:
        host = self.host
        state = host.state
        state.pin_length = 0
        state.face_preview = None
        state.face_title = N_("face.title")
        state.face_message = Message("face.capture.look")
        host.go(Screen.FACE)
        on_progress, on_done = host.guard(self._progress), host.guard(self._captured)
        post = host.post
        self._running = True
        # The capture calls back on the camera's thread; post hands each call to the UI thread.
        self._face.start(lambda update: post(lambda: on_progress(update)), lambda out: post(lambda: on_done(out)))

    def handle(self, intent: str, value: str = "") -> None:
        if intent == "cancel":
            self.cancel()  # the capture ends with face.capture.cancelled and we go back to the PIN

    def cancel(self) -> None:
        if self._running:
            self._face.cancel()

    def _progress(self, update: FaceProgress) -> None:
        show_face_progress(self.host, update)

    def _captured(self, outcome: FaceOutcome) -> None:
        self._running = False
        host = self.host
        host.state.face_preview = None
        if not outcome.passed:
            cancelled = outcome.message_key == "face.capture.cancelled"
            host.state.pin_message = (
                None if cancelled else Message(outcome.message_key or "face.liveness.failed", is_error=True)
            )
            host.go(Screen.PIN)
            return
        card, card_session = host.session.card, host.session.card_session
        if card is None or card_session is None:
            return
        host.state.busy_message = Message("face.verifying")
        host.go(Screen.BUSY)
        frames, backend = outcome.frames, host.backend
        host.run(lambda: sign_in_with_face(backend, card_session, card, frames), host.signed_in, self._refused)

    def _refused(self, exc: BaseException) -> None:
        """A refused face leaves the PIN as the way in; any other error ends the session."""
        if isinstance(exc, FaceRefused):
            self.host.state.pin_message = self.host.error_message(exc)
            self.host.go(Screen.PIN)
            return
        self.host.fail_to_remove_card(exc)
