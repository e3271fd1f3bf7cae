"""kiosk.ports.FacePort over the camera and the capture worker (gates + action liveness).

Preview frames are mirrored (a resident expects a mirror), converted to RGB bottom-up for a Kivy
texture, and throttled to ``preview_fps`` so the UI thread is never flooded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from drivers.camera.base import Camera
from kiosk.ports import FaceOutcome, FaceProgress

if TYPE_CHECKING:  # OpenCV and dlib load at the first capture or in drivers.warm_up, not at start
    from drivers.camera.capture import CaptureResult, CaptureUpdate, FaceCapture
    from drivers.camera.quality import FrameAnalyzer

logger = logging.getLogger(__name__)


class CameraFacePort:
    def __init__(self, camera: Camera, preview_fps: float = 20.0, preview_width: int = 480) -> None:
        self.camera = camera
        self._analyzer: FrameAnalyzer | None = None
        self._capture: FaceCapture | None = None
        self._lock = threading.Lock()
        self._min_interval = 1.0 / preview_fps
        self._preview_width = preview_width
        self._last_preview = 0.0

    def start(self, on_progress: Callable[[FaceProgress], None], on_done: Callable[[FaceOutcome], None]) -> None:
        from drivers.camera.capture import FaceCapture
        from drivers.camera.quality import FrameAnalyzer

        if self._analyzer is None:
            self._analyzer = FrameAnalyzer()  # loads the models once, on first use

        def progress(update: CaptureUpdate) -> None:
            now = time.monotonic()
            if now - self._last_preview < self._min_interval:
                return
            self._last_preview = now
            on_progress(self._preview(update))

        def done(result: CaptureResult) -> None:
            on_done(FaceOutcome(result.passed, result.message_key, list(result.best_frames)))

        with self._lock:
            self._capture = FaceCapture(self.camera, self._analyzer, on_update=progress)
            self._capture.start(done)

    def cancel(self) -> None:
        with self._lock:
            if self._capture is not None:
                self._capture.cancel()

    def _preview(self, update: CaptureUpdate) -> FaceProgress:
        import cv2

        frame = update.frame
        height, width = frame.shape[:2]
        scale = self._preview_width / width
        small = cv2.resize(frame, (self._preview_width, int(height * scale)), interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(cv2.flip(small, -1), cv2.COLOR_BGR2RGB)  # mirror + bottom row first for Kivy
        return FaceProgress(rgb.tobytes(), rgb.shape[1], rgb.shape[0], update.message_key)
