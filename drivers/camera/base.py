"""The camera interface every frame source implements, and its typed error.

A frame is a numpy ``uint8`` array of shape (height, width, 3) in BGR order (OpenCV's order).
``read()`` never returns None: a source that cannot deliver raises :class:`CameraError` whose
``status`` says why, so a camera pulled out mid-capture is reported to the flow, not a crash.
"""

from __future__ import annotations

import enum
import logging
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from kiosk.errors import KioskError

if TYPE_CHECKING:  # frames are numpy arrays; the camera's own module imports numpy
    import numpy as np

logger = logging.getLogger(__name__)


class CameraStatus(enum.Enum):
    READY = "ready"
    NO_DEVICE = "no_device"  # nothing at the configured source when opening
    DISCONNECTED = "disconnected"  # the device went away while capturing
    ERROR = "error"  # opened but unusable (no frames, bad format, closed)


class CameraError(KioskError):
    """A camera problem; message key ``camera.<status>``."""

    def __init__(self, status: CameraStatus, detail: str = "") -> None:
        super().__init__(detail or status.value, message_key=f"camera.{status.value}")
        self.status = status


class Camera(ABC):
    """A source of BGR frames. Not thread-safe: one capture worker owns it."""

    name: str = "camera"

    @abstractmethod
    def open(self) -> None:
        """Acquire the device; raises :class:`CameraError` (NO_DEVICE/ERROR) when impossible."""

    @abstractmethod
    def read(self) -> np.ndarray:
        """Next frame (H, W, 3) uint8 BGR; raises :class:`CameraError` when none can come."""

    @abstractmethod
    def status(self) -> CameraStatus:
        """Current state without side effects."""

    @abstractmethod
    def close(self) -> None:
        """Release the device; idempotent."""

    def __enter__(self) -> Camera:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
