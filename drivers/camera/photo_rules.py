"""The 社保卡 photo's rules, judged on live frames, and the crop to the card's portrait.

The card's photo (358 × 441 px, 32 × 26 mm portrait) shows one person, frontal and centred, eyes
open, well lit, in front of a plain light background. :class:`PhotoChecker` measures a frame with
the face check's own pipeline (drivers.camera.quality: detector, landmarks, brightness, yaw;
kiosk.liveness: eye openness) and names the first rule not met, one at a time, in the order a
resident fixes them: step in alone → face the camera → light → open the eyes → the background.
Each problem is a kiosk.photo_rules.PhotoProblem (an i18n key, and the rule it breaks).

The crop: the face box (brows to chin, cheek to cheek, as dlib finds it) is ``FACE_SHARE`` of the
photo's width, its top ``TOP_MARGIN`` of the height down, so the hair and the shoulders are in.
The background is judged on that crop outside the person: the band above the head and the two
columns beside it, whose pixels must be light (mean luma) and plain (their spread).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np

from drivers.camera.face_engine import to_gray
from drivers.camera.quality import FrameAnalysis, FrameAnalyzer
from kiosk.liveness import eye_openness
from kiosk.photo_rules import PhotoProblem

logger = logging.getLogger(__name__)

PHOTO_WIDTH, PHOTO_HEIGHT = 358, 441
FACE_SHARE = 0.5  # the face box's width over the photo's
TOP_MARGIN = 0.30  # the face box's top, as a fraction of the photo's height


@dataclass(frozen=True)
class PhotoThresholds:
    """Limits of the rules (calibrated on the demo camera's scenes, tests/drivers/camera)."""

    max_yaw_deg: float = 10.0
    max_roll_deg: float = 8.0
    max_centre_offset: float = 0.15  # of the frame's width / height
    min_face_fraction: float = 0.18  # of the frame's width: nearer, or the photo is too coarse
    min_brightness: float = 80.0  # mean luma of the face
    min_eye_openness: float = 0.26  # kiosk.liveness.eye_openness: ~0.4 open, ~0.17 shut
    min_background: float = 170.0  # mean luma around the head
    max_background_spread: float = 20.0  # standard deviation of that luma


@dataclass(frozen=True)
class PhotoCheck:
    """One frame judged: the first ``problem`` (None when every rule holds), and the crop of the
    card's photo in frame pixels (x, y, w, h) when a face was found."""

    problem: PhotoProblem | None
    crop: tuple[int, int, int, int] | None
    analysis: FrameAnalysis

    @property
    def ok(self) -> bool:
        return self.problem is None


def crop_box(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """The card photo's crop around a face box, in frame pixels (may reach outside the frame)."""
    x, y, w, _ = box
    width = w / FACE_SHARE
    height = width * PHOTO_HEIGHT / PHOTO_WIDTH
    left = x + w / 2 - width / 2
    top = y - TOP_MARGIN * height
    return int(round(left)), int(round(top)), int(round(width)), int(round(height))


def roll_degrees(landmarks: np.ndarray) -> float:
    """The head's tilt in the image plane: the angle of the line through the eyes' centres."""
    left, right = landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0)
    return math.degrees(math.atan2(float(right[1] - left[1]), float(right[0] - left[0])))


def background_stats(gray: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float]:
    """(mean, standard deviation) of the luma around the head, inside the photo's crop: the band
    above the hair and the two columns beside the head, down to the chin."""
    x, y, w, h = (int(round(v)) for v in box)
    cx, cy, cw, ch = crop_box(box)
    top, left, right = max(0, cy), max(0, cx), min(gray.shape[1], cx + cw)
    hair = max(top, y - int(0.45 * h))  # the hair above the brows
    pieces = [
        gray[top:hair, left:right],
        gray[top : y + h // 2, left : max(left, x - int(0.3 * w))],
        gray[top : y + h // 2, min(right, x + w + int(0.3 * w)) : right],
    ]
    pixels = np.concatenate([p.ravel() for p in pieces if p.size])
    if pixels.size == 0:
        return 0.0, 0.0
    return float(pixels.mean()), float(pixels.std())


class PhotoChecker:
    """Judges frames against the photo's rules. Safe to share across threads (the analyzer is)."""

    def __init__(self, analyzer: FrameAnalyzer | None = None, thresholds: PhotoThresholds | None = None) -> None:
        self.analyzer = analyzer or FrameAnalyzer()
        self.thresholds = thresholds or PhotoThresholds()

    def check(self, frame: np.ndarray) -> PhotoCheck:
        analysis = self.analyzer.analyze(frame)
        metrics, th = analysis.metrics, self.thresholds
        if metrics.faces == 0 or metrics.box is None or analysis.landmarks is None:
            return PhotoCheck(PhotoProblem.NO_FACE, None, analysis)
        crop = crop_box(metrics.box)
        if metrics.faces > 1:
            return PhotoCheck(PhotoProblem.MANY_FACES, crop, analysis)
        if not self._frontal(analysis, crop):
            return PhotoCheck(PhotoProblem.NOT_FRONTAL, crop, analysis)
        if metrics.brightness < th.min_brightness:
            return PhotoCheck(PhotoProblem.TOO_DARK, crop, analysis)
        if eye_openness(analysis.landmarks) < th.min_eye_openness:
            return PhotoCheck(PhotoProblem.EYES_CLOSED, crop, analysis)
        mean, spread = background_stats(to_gray(frame), metrics.box)
        if mean < th.min_background or spread > th.max_background_spread:
            return PhotoCheck(PhotoProblem.BACKGROUND, crop, analysis)
        return PhotoCheck(None, crop, analysis)

    def _frontal(self, analysis: FrameAnalysis, crop: tuple[int, int, int, int]) -> bool:
        """Facing the camera, head straight, in the middle, near enough, the whole crop in frame."""
        metrics, th = analysis.metrics, self.thresholds
        x, y, w, h = metrics.box or (0.0, 0.0, 0.0, 0.0)
        fw, fh = metrics.frame_width, metrics.frame_height
        cx, cy, cw, ch = crop
        return (
            abs(metrics.yaw_deg or 0.0) <= th.max_yaw_deg
            and abs(roll_degrees(analysis.landmarks)) <= th.max_roll_deg
            and abs(x + w / 2 - fw / 2) <= th.max_centre_offset * fw
            and abs(y + h / 2 - fh / 2) <= th.max_centre_offset * fh
            and w >= th.min_face_fraction * fw
            and cx >= 0
            and cy >= 0
            and cx + cw <= fw
            and cy + ch <= fh
        )


def card_photo(frame: np.ndarray, crop: tuple[int, int, int, int], quality: int = 92) -> bytes:
    """The card's photo: ``crop`` of ``frame`` scaled to 358 × 441, as JPEG bytes."""
    x, y, w, h = crop
    portrait = cv2.resize(frame[y : y + h, x : x + w], (PHOTO_WIDTH, PHOTO_HEIGHT), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", portrait, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()
