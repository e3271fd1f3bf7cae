"""Sign-in with the 电子社保卡 (electronic social-security card) on the resident's phone, no card needed.

FACE screen (the camera picture and one instruction: show the code) → the camera reads a QR code →
BUSY while the gateway resolves the code → menu. A code the gateway refuses (unknown, expired,
already used) or a QR code that is not a 电子社保卡 code (a payment code shown by mistake, never
sent to the gateway) puts the reason in the instruction and the camera scans again, passing over
the codes already refused, so the resident can refresh the code on the phone or leave (intent
``cancel``). After :data:`MAX_REFUSALS` refused codes, when nothing is shown before the scanner's
timeout, or when the camera fails, the flow ends with the reason (``host.end_with_message``).
Other errors (gateway unreachable) end it as the card flows' errors do. The preview frames live
only in ``state.face_preview`` while the camera runs; a code is a credential and is never logged.
"""

from __future__ import annotations

import logging

from common.esscard import REFUSALS, is_esscard_code
from kiosk.errors import BackendRejected
from kiosk.i18n import N_
from kiosk.ports import FaceProgress, QrScanPort
from kiosk.session import Flow, FlowHost
from kiosk.state import Message, Screen

logger = logging.getLogger(__name__)

# Refused codes (by the gateway, or not 电子社保卡 codes at all) before the resident is sent to a counter.
MAX_REFUSALS = 5
SCAN_TIMEOUT_KEY = "esscard.scan.timeout"


class EsscardFlow(Flow):
    """Scan, resolve, sign in. ``scanner`` calls back on the camera's thread; ``host.post`` brings
    each call to the UI thread, and ``host.guard`` drops it once the session has ended."""

    def __init__(self, host: FlowHost, scanner: QrScanPort) -> None:
        super().__init__(host)
        self._scanner = scanner
        self._scan = 0  # the scan the scanner's callbacks belong to: a late one of an earlier scan is dropped
        self._scanning = False
        self._refused: set[str] = set()  # payloads refused in this flow: the scanner passes over them
        self._refusals = 0

    def start(self) -> None:
        state = self.host.state
        state.session_active = True  # a resident is at the terminal (no card tells the core so)
        state.face_preview = None
        # TRANSLATORS: The title of the camera screen while it looks for the electronic card's code.
        state.face_title = N_("esscard.title")
        # TRANSLATORS: The instruction under the camera picture while it looks for the code.
        self._scan_for_code(Message("esscard.scan.show"))

    def handle(self, intent: str, value: str = "") -> None:
        # Leaving is offered while the camera looks for a code; once a code is with the gateway,
        # its answer (which may open a session) is awaited.
        if intent == "cancel" and self.host.state.screen is Screen.FACE:
            self._stop_scanning()
            # TRANSLATORS: The resident left the electronic card sign-in.
            self.host.end_with_message(Message("esscard.cancelled"))

    def cancel(self) -> None:
        self._stop_scanning()

    # ----------------------------------------------------------------- scanning
    def _scan_for_code(self, instruction: Message) -> None:
        host = self.host
        host.state.face_message = instruction
        host.go(Screen.FACE)
        self._scan += 1
        scan = self._scan
        on_code = host.guard(lambda code: self._code(scan, code))
        on_stop = host.guard(lambda key: self._stopped(scan, key))
        on_preview = host.guard(lambda preview: self._preview(scan, preview))
        post = host.post
        self._scanning = True
        self._scanner.start(
            lambda code: post(lambda: on_code(code)),
            lambda key: post(lambda: on_stop(key)),
            lambda preview: post(lambda: on_preview(preview)),
            frozenset(self._refused),
        )

    def _stop_scanning(self) -> None:
        if self._scanning:
            self._scanning = False
            self._scanner.cancel()
        self.host.state.face_preview = None

    def _current(self, scan: int) -> bool:
        return self._scanning and scan == self._scan

    def _preview(self, scan: int, preview: FaceProgress) -> None:
        if not self._current(scan) or self.host.state.screen is not Screen.FACE:
            return
        self.host.state.face_preview = preview
        self.host.publish()

    def _stopped(self, scan: int, message_key: str) -> None:
        """The scan ended without a code: nobody showed one in time, or the camera failed."""
        if not self._current(scan):
            return
        self._stop_scanning()
        if message_key == SCAN_TIMEOUT_KEY:
            # TRANSLATORS: No code was shown before the camera gave up; the session ends.
            self.host.end_with_message(Message("esscard.scan.timeout", is_error=True))
            return
        logger.warning("QR scan ended: %s", message_key)
        # TRANSLATORS: The camera does not work; the physical card is the way in.
        self.host.end_with_message(Message("esscard.camera_failed", is_error=True))

    def _code(self, scan: int, code: str) -> None:
        if not self._current(scan):
            return
        self._stop_scanning()
        host = self.host
        if not is_esscard_code(code):
            logger.info("a QR code that is not a 电子社保卡 code was shown (%d characters)", len(code))
            # TRANSLATORS: Another QR code (a payment code, say) was shown instead of the electronic card's.
            self._refuse(code, Message("esscard.not_esscard", is_error=True))
            return
        # TRANSLATORS: While the gateway checks the code.
        host.state.busy_message = Message("esscard.verifying")
        host.go(Screen.BUSY)
        backend = host.backend
        host.run(lambda: backend.start_esscard_session(code), self._signed_in, lambda exc: self._rejected(code, exc))

    # ----------------------------------------------------------------- the gateway's answer
    def _signed_in(self, answer: dict) -> None:
        person = answer.get("person")
        self.host.state.resident_name = str(person.get("name", "")) if isinstance(person, dict) else ""
        self.host.state.face_message = None
        self.host.signed_in(answer)

    def _rejected(self, code: str, exc: BaseException) -> None:
        """A refused code lets the resident show a fresh one; any other error ends the session."""
        if isinstance(exc, BackendRejected) and exc.code in REFUSALS:
            logger.info("电子社保卡 code refused: %s", exc.code)
            # The gateway's own words ("expired: refresh the code …") in the resident's language.
            self._refuse(code, self.host.error_message(exc))
            return
        self.host.fail_to_remove_card(exc)

    def _refuse(self, code: str, reason: Message) -> None:
        self._refused.add(code)
        self._refusals += 1
        if self._refusals >= MAX_REFUSALS:
            # TRANSLATORS: Too many refused codes; the resident is sent to a service counter.
            self.host.end_with_message(Message("esscard.too_many", is_error=True))
            return
        self._scan_for_code(reason)
