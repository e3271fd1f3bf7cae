"""Per-frame analysis: detect, landmark, measure, then judge with :mod:`kiosk.face_quality`.

This is the whole per-frame pipeline the capture worker runs (and ``main.py face check``):
``FrameAnalyzer.analyze(frame) -> FrameAnalysis``. Measuring needs cv2, judging does not, so the
numbers are computed here and the decisions stay in plain-Python ``kiosk.face_quality``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from drivers.camera.face_engine import FaceBox, FaceEngine, to_gray
from kiosk.face_quality import FaceMetrics, QualityResult, QualityThresholds, evaluate
from kiosk.liveness import yaw_degrees

logger = logging.getLogger(__name__)

# Sharpness is measured on the face scaled to this width so it does not depend on distance.
SHARPNESS_FACE_WIDTH = 128


@dataclass
class FrameAnalysis:
    """One analysed frame: all boxes (largest first), the main face's landmarks, metrics, verdict."""

    boxes: list[FaceBox]
    landmarks: np.ndarray | None
    metrics: FaceMetrics
    quality: QualityResult

    @property
    def main_box(self) -> FaceBox | None:
        return self.boxes[0] if self.boxes else None


def _face_region(gray: np.ndarray, box: FaceBox) -> np.ndarray:
    h, w = gray.shape[:2]
    x0, y0 = max(0, box.x), max(0, box.y)
    x1, y1 = min(w, box.x + box.w), min(h, box.y + box.h)
    return gray[y0:y1, x0:x1]


def brightness(gray: np.ndarray, box: FaceBox) -> float:
    """Mean luma inside the face box (0-255)."""
    region = _face_region(gray, box)
    return float(region.mean()) if region.size else 0.0


def sharpness(gray: np.ndarray, box: FaceBox) -> float:
    """Variance of the Laplacian of the face region scaled to a fixed width."""
    region = _face_region(gray, box)
    if region.size == 0 or region.shape[1] < 8 or region.shape[0] < 8:
        return 0.0
    scale = SHARPNESS_FACE_WIDTH / region.shape[1]
    region = cv2.resize(
        region, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    return float(cv2.Laplacian(region, cv2.CV_64F).var())


def measure(
    frame: np.ndarray, boxes: list[FaceBox], landmarks: np.ndarray | None, mirrored: bool = False
) -> FaceMetrics:
    """Numbers for the gates from a frame, its boxes (largest first) and the main face's landmarks."""
    height, width = frame.shape[:2]
    if not boxes:
        return FaceMetrics(width, height, 0)
    gray = to_gray(frame)
    main = boxes[0]
    return FaceMetrics(
        frame_width=width,
        frame_height=height,
        faces=len(boxes),
        box=main.as_tuple(),
        brightness=brightness(gray, main),
        sharpness=sharpness(gray, main),
        yaw_deg=yaw_degrees(landmarks, mirrored) if landmarks is not None else None,
    )


class FrameAnalyzer:
    """Detect + landmarks + gates on one frame. Safe to share across threads (engine is)."""

    def __init__(
        self, engine: FaceEngine | None = None, thresholds: QualityThresholds | None = None, mirrored: bool = False
    ) -> None:
        self.engine = engine or FaceEngine()
        self.thresholds = thresholds or QualityThresholds()
        self.mirrored = mirrored

    def analyze(self, frame: np.ndarray) -> FrameAnalysis:
        boxes = self.engine.detect(frame)
        landmarks = self.engine.landmarks(frame, boxes[0]) if boxes else None
        metrics = measure(frame, boxes, landmarks, self.mirrored)
        return FrameAnalysis(boxes, landmarks, metrics, evaluate(metrics, self.thresholds))
