"""Build the configured camera (``[camera]`` section of config/default.toml)."""

from __future__ import annotations

import logging

from drivers.camera.base import Camera
from drivers.camera.opencv_camera import OpenCvCamera

logger = logging.getLogger(__name__)

KINDS = ("opencv", "simulated")


def build_camera(kind: str, source: str = "0", width: int = 640, height: int = 480, fps: int = 25) -> Camera:
    """``kind`` "opencv" (device index, file path or URL in ``source``) or "simulated" (demo).

    Raises ValueError for an unknown kind (config validation should have refused it already).
    """
    if kind == "opencv":
        return OpenCvCamera(source, width, height, fps)
    if kind == "simulated":
        from drivers.camera.simulated import SimulatedCamera  # needs scikit-image; only the demo does

        return SimulatedCamera(fps=fps, realtime=True)
    raise ValueError(f"camera.kind must be one of {KINDS}, got {kind!r}")
