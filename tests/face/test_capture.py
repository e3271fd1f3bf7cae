"""The capture worker end to end: simulated camera → real detector/landmarks → gates → liveness,
then the server's 1:1 verification of the best frames against the demo's enrolled photo."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from drivers.camera.capture import CaptureResult, CaptureUpdate, FaceCapture
from drivers.camera.quality import FrameAnalyzer
from drivers.camera.simulated import SimulatedCamera
from kiosk.liveness import Challenge, LivenessConfig, LivenessSession
from server.face.demo import demo_photo_jpeg
from server.face.router import verify_capture
from server.face.verifier import FaceVerifier


def fake_clock(step: float = 0.04) -> Callable[[], float]:
    """Frame timestamps as if the camera ran at 25 fps, however fast the test machine is."""
    now = [0.0]

    def tick() -> float:
        now[0] += step
        return now[0]

    return tick


def capture(
    camera: SimulatedCamera, analyzer: FrameAnalyzer, challenges: list[Challenge], **kw: object
) -> tuple[CaptureResult, list[CaptureUpdate]]:
    updates: list[CaptureUpdate] = []
    cap = FaceCapture(
        camera,
        analyzer,
        liveness_factory=lambda: LivenessSession(challenges, LivenessConfig()),
        on_update=updates.append,
        clock=fake_clock(),
        **kw,
    )  # type: ignore[arg-type]
    return cap.run(), updates


@pytest.fixture(scope="module")
def camera() -> SimulatedCamera:
    return SimulatedCamera(realtime=False)


def test_matching_live_person_passes_and_verifies(
    camera: SimulatedCamera, analyzer: FrameAnalyzer, verifier: FaceVerifier
) -> None:
    camera.show("match:astronaut")
    result, updates = capture(camera, analyzer, [Challenge.BLINK, Challenge.TURN_LEFT])
    assert result.passed, result.message_key
    assert len(result.best_frames) == 2 and all(f[:2] == b"\xff\xd8" for f in result.best_frames)
    instructions = {u.instruction_zh for u in updates}
    assert {"请眨眨眼", "请向左转头"} <= instructions
    verdict = verify_capture(demo_photo_jpeg(), result.best_frames, verifier=verifier)
    assert verdict.match and verdict.reason is None and verdict.frames_used == 2


def test_other_person_is_live_but_does_not_match(
    camera: SimulatedCamera, analyzer: FrameAnalyzer, verifier: FaceVerifier
) -> None:
    camera.show("other")
    result, _ = capture(camera, analyzer, [Challenge.OPEN_MOUTH, Challenge.BLINK])
    assert result.passed, result.message_key
    verdict = verify_capture(demo_photo_jpeg(), result.best_frames, verifier=verifier)
    assert not verdict.match and verdict.reason == "below_threshold"


def test_still_photo_fails_liveness(camera: SimulatedCamera, analyzer: FrameAnalyzer) -> None:
    camera.show("still_photo")
    result, _ = capture(camera, analyzer, [Challenge.BLINK, Challenge.OPEN_MOUTH])
    assert not result.passed and result.message_key == "face.liveness.timeout"
    assert result.best_frames == []


def test_empty_scene_times_out_on_framing(camera: SimulatedCamera, analyzer: FrameAnalyzer) -> None:
    camera.show("none")
    result, updates = capture(camera, analyzer, [Challenge.BLINK], framing_timeout_s=1.0)
    assert not result.passed and result.message_key == "face.capture.timeout"
    assert updates[-1].instruction_zh == "请将脸部对准屏幕" and updates[-1].message_key == "face.quality.no_face"


def test_unplug_mid_capture_is_reported(analyzer: FrameAnalyzer) -> None:
    camera = SimulatedCamera(realtime=False, scene="match:astronaut")
    seen = []

    def on_update(update: CaptureUpdate) -> None:
        seen.append(update)
        if len(seen) == 5:
            camera.unplug()

    cap = FaceCapture(
        camera,
        analyzer,
        liveness_factory=lambda: LivenessSession([Challenge.BLINK]),
        on_update=on_update,
        clock=fake_clock(),
    )
    done = threading.Event()
    results: list[CaptureResult] = []
    cap.start(lambda r: (results.append(r), done.set()))
    assert done.wait(30)
    assert not results[0].passed and results[0].message_key == "camera.disconnected"


def test_cancel(analyzer: FrameAnalyzer) -> None:
    camera = SimulatedCamera(realtime=False, scene="none")
    cap = FaceCapture(camera, analyzer, on_update=lambda u: cap.cancel(), clock=fake_clock())
    assert cap.run().message_key == "face.capture.cancelled"


def test_face_swapped_mid_liveness_restarts(analyzer: FrameAnalyzer) -> None:
    """A photo frames the capture, then the scene changes: liveness starts over (new session)."""
    camera = SimulatedCamera(realtime=False, scene="still_photo")
    sessions: list[LivenessSession] = []

    def factory() -> LivenessSession:
        sessions.append(LivenessSession([Challenge.BLINK]))
        return sessions[-1]

    frames = [0]

    def on_update(update: CaptureUpdate) -> None:
        frames[0] += 1
        if frames[0] == 10:
            camera.show("none")  # the photo is pulled away ...
        if frames[0] == 20:
            camera.show("match:astronaut")  # ... and a live face appears

    cap = FaceCapture(camera, analyzer, liveness_factory=factory, on_update=on_update, clock=fake_clock())
    result = cap.run()
    assert result.passed and len(sessions) == 2
