"""kiosk.ports.PhotoPort over the camera: the 社保卡 photo, taken when its rules hold.

A worker thread reads frames, judges each with :class:`drivers.camera.photo_rules.PhotoChecker`
and reports a preview with the first problem (or ``photo.hold_still`` while the rules hold but
not yet for long). Once every rule has held on ``steady_frames`` frames in a row with the face
still (its box moving less than ``max_shift`` of its width between frames), the last frame is
cropped to the card's portrait and reported. Preview frames are mirrored, bottom row first for a
Kivy texture, and throttled to ``preview_fps``; nothing of a frame outlives the capture but the
photo handed to ``on_done``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from drivers.camera.base import Camera, CameraError
from kiosk.ports import FaceProgress, PhotoOutcome

if TYPE_CHECKING:  # OpenCV and dlib load at the first capture, not at start
    import numpy as np

    from drivers.camera.photo_rules import PhotoCheck, PhotoChecker

logger = logging.getLogger(__name__)

HOLD_STILL_KEY = "photo.hold_still"


class CameraPhotoPort:
    def __init__(
        self,
        camera: Camera,
        checker: PhotoChecker | None = None,
        steady_frames: int = 8,
        max_shift: float = 0.05,
        max_seconds: float = 90.0,
        preview_fps: float = 15.0,
        preview_width: int = 480,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.camera = camera
        self._checker = checker
        self.steady_frames = steady_frames
        self.max_shift = max_shift
        self.max_seconds = max_seconds
        self._min_interval = 1.0 / preview_fps
        self._preview_width = preview_width
        self._clock = clock
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_progress: Callable[[FaceProgress], None], on_done: Callable[[PhotoOutcome], None]) -> None:
        with self._lock:
            self._cancel = threading.Event()
            cancel = self._cancel

            def work() -> None:
                outcome = self.run(cancel, on_progress)
                if not cancel.is_set():
                    on_done(outcome)

            self._thread = threading.Thread(target=work, name="card-photo", daemon=True)
            self._thread.start()

    def cancel(self) -> None:
        with self._lock:
            self._cancel.set()

    def run(self, cancel: threading.Event, on_progress: Callable[[FaceProgress], None]) -> PhotoOutcome:
        """One capture, inline (the thread's body; tests call it directly)."""
        from drivers.camera.photo_rules import PhotoChecker, card_photo

        if self._checker is None:
            self._checker = PhotoChecker()  # loads the models once, on first use
        checker = self._checker
        steady = 0
        last_box: tuple[float, float, float, float] | None = None
        started = last_preview = self._clock()
        last_preview -= self._min_interval
        try:
            self.camera.open()
            while not cancel.is_set():
                if self._clock() - started > self.max_seconds:
                    return PhotoOutcome(False, "photo.timeout")
                frame = self.camera.read()
                check = checker.check(frame)
                box = check.analysis.metrics.box
                steady = steady + 1 if check.ok and self._still(last_box, box) else (1 if check.ok else 0)
                last_box = box
                if check.ok and check.crop is not None and steady >= self.steady_frames:
                    logger.info("card photo taken")
                    return PhotoOutcome(True, None, card_photo(frame, check.crop))
                now = self._clock()
                if now - last_preview >= self._min_interval:
                    last_preview = now
                    on_progress(self._preview(frame, check))
            return PhotoOutcome(False, "photo.cancelled")
        except CameraError as exc:
            logger.warning("card photo stopped: %s", exc.detail)
            return PhotoOutcome(False, exc.message_key)
        finally:
            self.camera.close()

    def _still(
        self, last: tuple[float, float, float, float] | None, box: tuple[float, float, float, float] | None
    ) -> bool:
        if last is None or box is None:
            return False
        return abs(box[0] - last[0]) + abs(box[1] - last[1]) <= self.max_shift * max(1.0, last[2])

    def _preview(self, frame: np.ndarray, check: PhotoCheck) -> FaceProgress:
        import cv2

        height, width = frame.shape[:2]
        scale = self._preview_width / width
        small = cv2.resize(frame, (self._preview_width, int(height * scale)), interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(cv2.flip(small, -1), cv2.COLOR_BGR2RGB)  # mirror + bottom row first for Kivy
        key = check.problem.message_key if check.problem is not None else HOLD_STILL_KEY
        return FaceProgress(rgb.tobytes(), rgb.shape[1], rgb.shape[0], key)
