"""A camera that plays a list of frames (arrays or image files): tests, replays and the demo.

Paced at ``fps`` when ``realtime`` is set (the demo), as fast as asked otherwise (tests).
``unplug()`` injects the fault of a camera pulled out: the next ``read()`` raises
``CameraError(DISCONNECTED)`` exactly like the real source.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from drivers.camera.base import Camera, CameraError, CameraStatus

logger = logging.getLogger(__name__)


def load_frame(item: np.ndarray | str | Path) -> np.ndarray:
    """A BGR uint8 frame from an array (gray or BGR) or an image file."""
    if isinstance(item, np.ndarray):
        frame = item
    else:
        frame = cv2.imread(str(item), cv2.IMREAD_COLOR)
        if frame is None:
            raise CameraError(CameraStatus.ERROR, f"cannot read image {item}")
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(frame, dtype=np.uint8)


class ImageSequenceCamera(Camera):
    """Plays ``frames`` in order; at the end loops (``loop``) or reports ERROR (end of stream)."""

    def __init__(
        self,
        frames: Sequence[np.ndarray | str | Path],
        fps: float = 25.0,
        loop: bool = True,
        realtime: bool = False,
        name: str = "sequence",
    ) -> None:
        self.name = name
        self.fps = fps
        self.loop = loop
        self.realtime = realtime
        self._lock = threading.Lock()
        self._frames = [load_frame(f) for f in frames]
        self._index = 0
        self._opened = False
        self._unplugged = False
        self._next_due = 0.0

    def set_frames(self, frames: Sequence[np.ndarray | str | Path], loop: bool | None = None) -> None:
        """Swap what the camera shows (thread-safe; the demo dock calls this while capturing)."""
        loaded = [load_frame(f) for f in frames]
        with self._lock:
            self._frames = loaded
            self._index = 0
            if loop is not None:
                self.loop = loop

    def open(self) -> None:
        with self._lock:
            if self._unplugged:
                raise CameraError(CameraStatus.NO_DEVICE, f"{self.name}: no device")
            self._opened = True
            self._next_due = time.monotonic()

    def read(self) -> np.ndarray:
        with self._lock:
            if self._unplugged:
                raise CameraError(CameraStatus.DISCONNECTED, f"{self.name}: device unplugged")
            if not self._opened:
                raise CameraError(CameraStatus.ERROR, f"{self.name}: not open")
            if not self._frames:
                raise CameraError(CameraStatus.ERROR, f"{self.name}: no frames")
            if self._index >= len(self._frames):
                if not self.loop:
                    raise CameraError(CameraStatus.ERROR, f"{self.name}: end of sequence")
                self._index = 0
            frame = self._frames[self._index]
            self._index += 1
            delay = self._next_due - time.monotonic() if self.realtime else 0.0
            self._next_due = max(self._next_due, time.monotonic() - 1.0) + 1.0 / self.fps
        if delay > 0:
            time.sleep(delay)
        return frame.copy()

    def unplug(self) -> None:
        """Fault injection: the device disappears."""
        with self._lock:
            self._unplugged = True

    def replug(self) -> None:
        with self._lock:
            self._unplugged = False

    def status(self) -> CameraStatus:
        with self._lock:
            if self._unplugged:
                return CameraStatus.DISCONNECTED if self._opened else CameraStatus.NO_DEVICE
            return CameraStatus.READY if self._opened else CameraStatus.NO_DEVICE

    def close(self) -> None:
        with self._lock:
            self._opened = False
