"""kiosk.flows.esscard.EsscardFlow without Kivy or the controller: a minimal FlowHost, a scripted
scanner, and once the real camera scan port over the demo phone; callbacks reach the flow only
through ``host.post`` (as from the camera's thread) and are dropped once the session has ended."""

from __future__ import annotations

import queue
from collections.abc import Callable, Collection
from typing import Any

import pytest

from common.esscard import new_code
from drivers.camera.qr_port import CameraQrScanPort
from drivers.camera.simulated import SimulatedCamera
from kiosk.errors import BackendRejected, BackendUnavailable
from kiosk.flows.esscard import MAX_REFUSALS, EsscardFlow
from kiosk.ports import FaceProgress
from kiosk.session import SessionContext
from kiosk.state import KioskState, Message, Screen

ANSWER = {"session_id": "S-ESS", "person": {"name": "张建国", "ssn_masked": "3205**********1311"}}


class Backend:
    """Answers ``start_esscard_session`` with ``answer`` or raises ``fail``; records the codes."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.fail: BaseException | None = None

    def start_esscard_session(self, code: str) -> dict:
        self.codes.append(code)
        if self.fail is not None:
            raise self.fail
        return ANSWER


class Host:
    """The FlowHost operations the flow uses. ``post`` queues (the UI thread's queue); ``drain`` runs
    what was posted; ``run`` runs the job at once; callbacks are guarded by the session generation."""

    def __init__(self) -> None:
        self.state = KioskState()
        self.session = SessionContext()
        self.backend = Backend()
        self.posted: queue.Queue[Callable[[], None]] = queue.Queue()
        self.screens: list[Screen] = []
        self.published = 0
        self.ended: list[Message] = []
        self.failed: list[BaseException] = []
        self.signed: list[dict] = []

    def post(self, callback: Callable[[], None]) -> None:
        self.posted.put(callback)

    def drain(self, wait: float = 0.0) -> int:
        """Run what was posted (and what that posts); ``wait`` seconds for the first, if given."""
        ran = 0
        try:
            callback = self.posted.get(timeout=wait) if wait else self.posted.get_nowait()
            while True:
                callback()
                ran += 1
                callback = self.posted.get_nowait()
        except queue.Empty:
            return ran

    def guard(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        generation = self.session.generation

        def guarded(value: Any) -> None:
            if generation == self.session.generation:
                callback(value)

        return guarded

    def run(
        self, job: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]
    ) -> None:
        on_done, on_error = self.guard(on_done), self.guard(on_error)
        try:
            result = job()
        except Exception as exc:
            on_error(exc)
        else:
            on_done(result)

    def go(self, screen: Screen) -> None:
        self.state.screen = screen
        self.screens.append(screen)

    def publish(self) -> None:
        self.published += 1

    def touch(self) -> None:
        pass

    def error_message(self, exc: BaseException, extra_key: str | None = None) -> Message:
        if isinstance(exc, BackendRejected):
            return Message("backend.rejected", {"reason": exc.message_zh or exc.code}, is_error=True)
        return Message("error.generic", is_error=True)

    def _end(self) -> None:
        self.session = SessionContext(generation=self.session.generation + 1)
        self.state.clear_resident()

    def end_with_message(self, message: Message) -> None:
        self._end()
        self.ended.append(message)
        self.state.screen = Screen.MESSAGE

    def fail_to_remove_card(self, exc: BaseException) -> None:
        self.failed.append(exc)
        self.end_with_message(self.error_message(exc))

    def signed_in(self, answer: dict) -> None:
        self.session.session_id = answer["session_id"]
        self.signed.append(answer)
        self.state.screen = Screen.MENU


class Scanner:
    """A scripted QrScanPort: the test plays the camera thread with ``code`` / ``stop`` / ``preview``."""

    def __init__(self) -> None:
        self.starts: list[frozenset[str]] = []
        self.cancels = 0
        self._callbacks: tuple[Callable[[str], None], Callable[[str], None], Any] | None = None

    def start(self, on_code, on_stop, on_preview=None, ignore: Collection[str] = ()) -> None:
        self.starts.append(frozenset(ignore))
        self._callbacks = (on_code, on_stop, on_preview)

    def cancel(self) -> None:
        self.cancels += 1

    def code(self, payload: str) -> None:
        assert self._callbacks is not None
        self._callbacks[0](payload)

    def stop(self, key: str) -> None:
        assert self._callbacks is not None
        self._callbacks[1](key)

    def preview(self) -> None:
        assert self._callbacks is not None
        self._callbacks[2](FaceProgress(b"\0" * 12, 2, 2, None))


def refused(code: str, zh: str) -> BackendRejected:
    status = {"esscard_code_unknown": 404, "esscard_code_used": 409, "esscard_code_expired": 410}[code]
    return BackendRejected(status, code, zh, "refused")


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.fixture
def scanner() -> Scanner:
    return Scanner()


def started(host: Host, scanner: Scanner) -> EsscardFlow:
    flow = EsscardFlow(host, scanner)
    flow.start()
    assert host.state.screen is Screen.FACE and host.state.face_message == Message("esscard.scan.show")
    assert host.state.session_active and scanner.starts == [frozenset()]
    return flow


def test_a_code_signs_the_resident_in(host: Host, scanner: Scanner) -> None:
    started(host, scanner)
    scanner.preview()
    assert host.state.face_preview is None  # nothing reaches the state but through post
    host.drain()
    assert host.state.face_preview is not None and host.published == 1
    code = new_code()
    scanner.code(code)
    assert host.backend.codes == []
    host.drain()
    assert host.backend.codes == [code]
    assert Screen.BUSY in host.screens and host.signed == [ANSWER]
    assert host.state.resident_name == "张建国"
    assert host.state.face_preview is None and host.state.face_message is None


@pytest.mark.parametrize("reason", ["esscard_code_unknown", "esscard_code_used", "esscard_code_expired"])
def test_a_refused_code_shows_why_and_scans_again_without_it(host: Host, scanner: Scanner, reason: str) -> None:
    started(host, scanner)
    host.backend.fail = refused(reason, "请刷新后重新出示")
    stale = new_code()
    scanner.code(stale)
    host.drain()
    assert host.state.screen is Screen.FACE
    assert host.state.face_message == Message("backend.rejected", {"reason": "请刷新后重新出示"}, is_error=True)
    assert scanner.starts[-1] == frozenset({stale})  # the code still on the phone is passed over
    host.backend.fail = None
    fresh = new_code()
    scanner.code(fresh)
    host.drain()
    assert host.backend.codes == [stale, fresh] and host.signed == [ANSWER]


def test_another_kind_of_qr_code_is_refused_on_the_terminal(host: Host, scanner: Scanner) -> None:
    started(host, scanner)
    scanner.code("https://pay.example.test/q/8a7f")
    host.drain()
    assert host.backend.codes == []  # never sent to the gateway
    assert host.state.screen is Screen.FACE
    assert host.state.face_message == Message("esscard.not_esscard", is_error=True)
    assert scanner.starts[-1] == frozenset({"https://pay.example.test/q/8a7f"})


def test_too_many_refused_codes_end_the_flow(host: Host, scanner: Scanner) -> None:
    started(host, scanner)
    host.backend.fail = refused("esscard_code_expired", "已过期")
    for _ in range(MAX_REFUSALS):
        scanner.code(new_code())
        host.drain()
    assert host.ended == [Message("esscard.too_many", is_error=True)]
    assert len(scanner.starts) == MAX_REFUSALS


def test_nothing_shown_in_time_ends_the_flow(host: Host, scanner: Scanner) -> None:
    started(host, scanner)
    scanner.stop("esscard.scan.timeout")
    host.drain()
    assert host.ended == [Message("esscard.scan.timeout", is_error=True)]
    assert not host.state.session_active  # the session's state was wiped


def test_a_failing_camera_ends_the_flow(host: Host, scanner: Scanner) -> None:
    started(host, scanner)
    scanner.stop("camera.disconnected")
    host.drain()
    assert host.ended == [Message("esscard.camera_failed", is_error=True)]


def test_an_unreachable_gateway_ends_the_session(host: Host, scanner: Scanner) -> None:
    started(host, scanner)
    host.backend.fail = BackendUnavailable("down")
    scanner.code(new_code())
    host.drain()
    assert len(host.failed) == 1 and host.signed == []
    assert len(scanner.starts) == 1  # no new scan


def test_the_resident_leaves_and_late_camera_calls_are_dropped(host: Host, scanner: Scanner) -> None:
    flow = started(host, scanner)
    flow.handle("cancel")
    assert scanner.cancels == 1 and host.ended == [Message("esscard.cancelled")]
    scanner.code(new_code())  # was already on its way from the camera thread
    scanner.preview()
    host.drain()
    assert host.backend.codes == [] and host.state.face_preview is None


def test_leaving_is_not_offered_while_the_gateway_answers(host: Host, scanner: Scanner) -> None:
    flow = started(host, scanner)
    host.go(Screen.BUSY)
    flow.handle("cancel")
    assert host.ended == []


def test_cancel_by_the_core_stops_the_camera(host: Host, scanner: Scanner) -> None:
    flow = started(host, scanner)
    scanner.preview()
    host.drain()
    flow.cancel()
    assert scanner.cancels == 1 and host.state.face_preview is None
    scanner.code(new_code())  # a call of the cancelled scan, posted just before: ignored
    host.drain()
    assert host.backend.codes == []


def test_with_the_camera_scan_port_and_the_demo_phone(host: Host) -> None:
    camera = SimulatedCamera(realtime=False)
    code = new_code()
    camera.show_code(code)
    flow = EsscardFlow(host, CameraQrScanPort(camera, timeout_s=20))
    flow.start()
    for _ in range(200):
        host.drain(wait=0.2)
        if host.signed:
            break
    assert host.backend.codes == [code] and host.signed == [ANSWER]
