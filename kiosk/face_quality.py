"""Face-capture quality gates: judge measured numbers, say what the resident should do.

Plain Python (no cv2): ``drivers/camera/quality.py`` measures a frame (face count, main face box,
brightness, sharpness as the variance of the Laplacian, yaw from landmarks) into
:class:`FaceMetrics`; :func:`evaluate` turns them into a :class:`QualityResult` whose issues are
ordered by what the resident should fix first, each with a reason code, an i18n message key
(``face.quality.<code>``), whose words (spoken-style, one short line) are in the message catalogue.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from kiosk.i18n import DEFAULT_LANGUAGE, tr

logger = logging.getLogger(__name__)


class QualityIssue(enum.Enum):
    """Why a frame is not good enough; value = reason code. Declaration order = priority."""

    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    NOT_CENTRED = "not_centred"
    NOT_FRONTAL = "not_frontal"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    BLURRY = "blurry"

    @property
    def message_key(self) -> str:
        return f"face.quality.{self.value}"

    @property
    def instruction_zh(self) -> str:
        """The 简体 instruction: the catalogue's text of ``message_key`` (the screen translates the key)."""
        return tr(self.message_key, DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class FaceMetrics:
    """What the driver measured on one frame.

    ``box`` is the main (largest) face as (x, y, w, h) in pixels, None when ``faces`` is 0.
    ``brightness`` is the mean luma (0-255) inside the face box, ``sharpness`` the variance of the
    Laplacian of the face region (scaled to a 128-pixel-wide face, so it does not depend on
    distance), ``yaw_deg`` the head yaw from landmarks (positive = turned to the resident's left),
    None when unknown.
    """

    frame_width: int
    frame_height: int
    faces: int
    box: tuple[float, float, float, float] | None = None
    brightness: float = 0.0
    sharpness: float = 0.0
    yaw_deg: float | None = None


@dataclass(frozen=True)
class QualityThresholds:
    """Limits of the gates. Fractions are of the frame width (size) or frame size (centre)."""

    min_face_fraction: float = 0.18
    max_face_fraction: float = 0.75
    max_centre_offset: float = 0.18
    min_brightness: float = 60.0
    max_brightness: float = 210.0
    min_sharpness: float = 25.0
    max_yaw_deg: float = 15.0


@dataclass(frozen=True)
class QualityResult:
    """Outcome of the gates: ``ok`` when no issue; ``issues`` in priority order."""

    issues: tuple[QualityIssue, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def reasons(self) -> list[str]:
        """Reason codes, e.g. ``["too_small", "too_dark"]`` (the `face check --json` list)."""
        return [issue.value for issue in self.issues]

    @property
    def instruction_zh(self) -> str:
        """The one instruction to show now (the most important issue), '' when ok."""
        return self.issues[0].instruction_zh if self.issues else ""

    @property
    def message_key(self) -> str | None:
        return self.issues[0].message_key if self.issues else None


def guide_oval(
    frame_width: int, frame_height: int, thresholds: QualityThresholds | None = None
) -> tuple[float, float, float, float]:
    """The preview's guide oval (centre x, centre y, half width, half height) in frame pixels.

    A face filling the oval is large enough and centred for the gates, so the screen's drawing
    and the judging agree.
    """
    th = thresholds or QualityThresholds()
    half_w = frame_width * (th.min_face_fraction + th.max_face_fraction) / 4
    return frame_width / 2, frame_height / 2, half_w, half_w * 1.3


def evaluate(metrics: FaceMetrics, thresholds: QualityThresholds | None = None) -> QualityResult:
    """Apply every gate to ``metrics``; all failing gates are listed, most important first."""
    th = thresholds or QualityThresholds()
    if metrics.faces == 0 or metrics.box is None:
        return QualityResult((QualityIssue.NO_FACE,))
    issues: list[QualityIssue] = []
    if metrics.faces > 1:
        issues.append(QualityIssue.MULTIPLE_FACES)
    x, y, w, h = metrics.box
    fraction = w / max(1, metrics.frame_width)
    if fraction < th.min_face_fraction:
        issues.append(QualityIssue.TOO_SMALL)
    elif fraction > th.max_face_fraction:
        issues.append(QualityIssue.TOO_LARGE)
    dx = abs(x + w / 2 - metrics.frame_width / 2) / max(1, metrics.frame_width)
    dy = abs(y + h / 2 - metrics.frame_height / 2) / max(1, metrics.frame_height)
    # A box cut by the frame edge is also "not centred": the resident has to move into the oval.
    cut = x < 0 or y < 0 or x + w > metrics.frame_width or y + h > metrics.frame_height
    if dx > th.max_centre_offset or dy > th.max_centre_offset or cut:
        issues.append(QualityIssue.NOT_CENTRED)
    if metrics.yaw_deg is not None and abs(metrics.yaw_deg) > th.max_yaw_deg:
        issues.append(QualityIssue.NOT_FRONTAL)
    if metrics.brightness < th.min_brightness:
        issues.append(QualityIssue.TOO_DARK)
    elif metrics.brightness > th.max_brightness:
        issues.append(QualityIssue.TOO_BRIGHT)
    if metrics.sharpness < th.min_sharpness:
        issues.append(QualityIssue.BLURRY)
    issues.sort(key=list(QualityIssue).index)
    return QualityResult(tuple(issues))
