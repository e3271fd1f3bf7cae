"""A real camera (or video file / stream URL) through ``cv2.VideoCapture``."""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING

from drivers.camera.base import Camera, CameraError, CameraStatus

if TYPE_CHECKING:  # OpenCV loads when the camera opens (or in drivers.warm_up), not at start
    import cv2
    import numpy as np

logger = logging.getLogger(__name__)


class OpenCvCamera(Camera):
    """``source`` is a device index (int or digit string), a file path or a stream URL.

    Consecutive failed reads mean the device went away: a V4L2 device node that vanished gives
    DISCONNECTED, anything else ERROR. ``max_failed_reads`` absorbs the odd dropped frame.
    """

    def __init__(
        self, source: int | str = 0, width: int = 640, height: int = 480, fps: int = 25, max_failed_reads: int = 5
    ) -> None:
        self.source: int | str = int(source) if isinstance(source, str) and source.isdigit() else source
        self.width, self.height, self.fps = width, height, fps
        self.max_failed_reads = max_failed_reads
        self.name = f"opencv:{self.source}"
        self._cap: cv2.VideoCapture | None = None
        self._status = CameraStatus.NO_DEVICE

    def open(self) -> None:
        if self._cap is not None:
            return
        import cv2

        cap = cv2.VideoCapture(self.source)
        if not cap.isOpened():
            cap.release()
            self._status = CameraStatus.NO_DEVICE
            raise CameraError(CameraStatus.NO_DEVICE, f"cannot open camera source {self.source!r}")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        self._cap = cap
        self._status = CameraStatus.READY
        logger.info("camera %s opened", self.name)

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise CameraError(CameraStatus.ERROR, "camera not open")
        for attempt in range(self.max_failed_reads):
            ok, frame = self._cap.read()
            if ok and frame is not None:
                if frame.ndim == 2:
                    import cv2

                    frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
                return frame
            time.sleep(0.01 * (attempt + 1))
        self._status = self._lost_status()
        self.close()
        raise CameraError(self._status, f"camera {self.name} stopped delivering frames")

    def _lost_status(self) -> CameraStatus:
        if isinstance(self.source, int) and not os.path.exists(f"/dev/video{self.source}"):
            return CameraStatus.DISCONNECTED
        if isinstance(self.source, str) and "://" not in self.source and not os.path.exists(self.source):
            return CameraStatus.DISCONNECTED
        return CameraStatus.ERROR

    def status(self) -> CameraStatus:
        return self._status

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
            logger.info("camera %s closed", self.name)
