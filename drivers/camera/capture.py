"""The face-capture worker: camera → per-frame analysis → quality gates → action liveness.

Runs on its own thread (``start``) or inline (``run``, tests and CLI). Every analysed frame is
reported through ``on_update`` (called on the worker thread; a Kivy screen forwards it with
``Clock.schedule_once`` and draws the preview, the guide oval and ``instruction_zh``). The
result carries the best frames as JPEG bytes for the server's 1:1 verification
(``server.face.router.verify_capture``).

Phases: first the gates must pass on ``settle_frames`` consecutive frames (the resident is
framed); then a liveness session runs; frames with exactly one face feed it. The face is tracked
from then on: if it is gone for more than ``max_gap_frames`` frames or jumps (another face took
its place), liveness starts over with new challenges, so a photo cannot be framed and then
swapped for a live accomplice (or the reverse). Best frames are the sharpest, most frontal
frames that passed every gate during liveness, so the frames verified are the live ones.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from drivers.camera.base import Camera, CameraError, CameraStatus
from drivers.camera.face_engine import FaceBox
from drivers.camera.quality import FrameAnalysis, FrameAnalyzer
from kiosk.liveness import LivenessSession, LivenessState, LivenessStatus

logger = logging.getLogger(__name__)


@dataclass
class CaptureUpdate:
    """What the preview shows after one frame."""

    frame: np.ndarray
    analysis: FrameAnalysis
    instruction_zh: str
    message_key: str | None
    liveness: LivenessStatus | None
    fps: float


@dataclass
class CaptureResult:
    """``passed`` when liveness passed and good frames exist; else ``message_key`` says why."""

    passed: bool
    message_key: str | None = None
    best_frames: list[bytes] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)
    frames_analysed: int = 0


class FaceCapture:
    """One capture attempt. ``clock`` is injectable so tests can replay recorded timestamps."""

    def __init__(
        self,
        camera: Camera,
        analyzer: FrameAnalyzer,
        liveness_factory: Callable[[], LivenessSession] = LivenessSession,
        on_update: Callable[[CaptureUpdate], None] | None = None,
        best_count: int = 2,
        settle_frames: int = 3,
        framing_timeout_s: float = 30.0,
        max_seconds: float = 90.0,
        max_gap_frames: int = 5,
        after_pass_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.camera = camera
        self.analyzer = analyzer
        self.liveness_factory = liveness_factory
        self.on_update = on_update
        self.best_count = best_count
        self.settle_frames = settle_frames
        self.framing_timeout_s = framing_timeout_s
        self.max_seconds = max_seconds
        self.max_gap_frames = max_gap_frames
        self.after_pass_s = after_pass_s
        self.clock = clock
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def cancel(self) -> None:
        """Stop at the next frame; ``run`` returns ``face.capture.cancelled``."""
        self._cancel.set()

    def start(self, on_done: Callable[[CaptureResult], None]) -> threading.Thread:
        """Run on a daemon worker thread; ``on_done`` is called on that thread."""
        self._thread = threading.Thread(target=lambda: on_done(self.run()), name="face-capture", daemon=True)
        self._thread.start()
        return self._thread

    def run(self) -> CaptureResult:
        liveness: LivenessSession | None = None
        challenges: list[str] = []
        best: list[tuple[float, np.ndarray]] = []
        settled = gap = count = 0
        last_box: FaceBox | None = None
        started = framing_since = last_tick = self.clock()
        passed_at: float | None = None
        fps = 0.0

        def failed(key: str) -> CaptureResult:
            return CaptureResult(False, key, challenges=challenges, frames_analysed=count)

        try:
            self.camera.open()
            while True:
                if self._cancel.is_set():
                    return failed("face.capture.cancelled")
                frame = self.camera.read()
                now = self.clock()
                analysis = self.analyzer.analyze(frame)
                count += 1
                fps = 0.9 * fps + 0.1 / max(1e-3, now - last_tick) if count > 1 else 0.0
                last_tick = now
                if now - started > self.max_seconds:
                    return failed("face.capture.timeout")
                status: LivenessStatus | None = None
                if liveness is None:
                    settled = settled + 1 if analysis.quality.ok else 0
                    if settled >= self.settle_frames:
                        liveness = self.liveness_factory()
                        challenges = [c.value for c in liveness.challenges]
                        last_box, gap = analysis.main_box, 0
                    elif now - framing_since > self.framing_timeout_s:
                        return failed("face.capture.timeout")
                else:
                    box = analysis.main_box
                    if box is None:
                        gap += 1
                    elif last_box is not None and not _same_track(last_box, box):
                        gap = self.max_gap_frames + 1
                    else:
                        last_box, gap = box, 0
                    if gap > self.max_gap_frames:
                        # The face left or another face took its place: start over, new challenges.
                        logger.info("face lost or replaced during liveness; restarting")
                        liveness, settled, passed_at, framing_since = None, 0, None, now
                        best.clear()
                    else:
                        one_face = analysis.landmarks if analysis.metrics.faces == 1 and gap == 0 else None
                        status = liveness.feed(now, one_face)
                        if analysis.quality.ok and gap == 0:
                            self._keep_best(best, analysis, frame)
                self._report(frame, analysis, status, fps)
                if status is not None and status.state is LivenessState.FAILED:
                    return failed(status.failure.message_key if status.failure else "face.liveness.failed")
                if status is not None and status.state is LivenessState.PASSED:
                    if best:
                        frames = [_jpeg(f) for _, f in sorted(best, key=lambda item: -item[0])]
                        return CaptureResult(True, None, frames, challenges, count)
                    # Passed while never framed well since: wait a moment for one good frame.
                    passed_at = now if passed_at is None else passed_at
                    if now - passed_at > self.after_pass_s:
                        return failed("face.capture.timeout")
        except CameraError as exc:
            logger.warning("face capture stopped: %s", exc.detail)
            return failed(exc.message_key)
        finally:
            self.camera.close()

    def _keep_best(self, best: list[tuple[float, np.ndarray]], analysis: FrameAnalysis, frame: np.ndarray) -> None:
        yaw = abs(analysis.metrics.yaw_deg or 0.0)
        score = analysis.metrics.sharpness * max(0.1, 1.0 - yaw / 30.0)
        best.append((score, frame))
        best.sort(key=lambda item: -item[0])
        del best[self.best_count :]

    def _report(self, frame: np.ndarray, analysis: FrameAnalysis, status: LivenessStatus | None, fps: float) -> None:
        if self.on_update is None:
            return
        if status is not None and status.state is LivenessState.RUNNING:
            instruction, key = status.instruction_zh, status.challenge.message_key if status.challenge else None
        else:
            instruction, key = analysis.quality.instruction_zh, analysis.quality.message_key
        self.on_update(CaptureUpdate(frame, analysis, instruction, key, status, fps))


def _same_track(previous: FaceBox, current: FaceBox) -> bool:
    """Is ``current`` plausibly the same face as ``previous`` a few frames later?"""
    dx = (current.x + current.w / 2) - (previous.x + previous.w / 2)
    dy = (current.y + current.h / 2) - (previous.y + previous.h / 2)
    size = current.w / max(1, previous.w)
    return (dx * dx + dy * dy) ** 0.5 <= 0.5 * previous.w and 0.67 <= size <= 1.5


def _jpeg(frame: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise CameraError(CameraStatus.ERROR, "JPEG encoding failed")
    return buf.tobytes()
