"""Action liveness (动作活体): a random sequence of challenges judged from 68-point landmarks.

Pure state machine, no cv2: feed it ``(timestamp_seconds, landmarks or None)`` for every analysed
frame and read its :class:`LivenessStatus`. Challenges are drawn from {眨眨眼, 张张嘴, 向左转头,
向右转头}; each must be completed within ``challenge_timeout_s`` or the session fails.

Measures (landmark indices are the iBUG 68-point scheme that dlib's predictor outputs):

* eye openness: the eye aspect ratio (EAR, Soukupová & Čech 2016) of both eyes,
* mouth openness: the inner-lip aspect ratio (MAR),
* yaw: where the nose tip lies between the two jaw ends, as ``asin`` of the offset ratio.

EAR and MAR are divided by the face's own height/width ratio. A photo tilted or turned in front of
the camera squeezes the whole face, which changes EAR but not EAR over the face's aspect; a real
blink changes the eyes only. Moving, scaling or rotating a photo in the image plane changes none
of these ratios, so a still photo never produces the open→closed→open or closed→open excursions
the challenges require. Each challenge is judged relative to what this face showed during the
challenge (baselines), so small eyes or a beard do not fail a resident.
"""

from __future__ import annotations

import enum
import logging
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from kiosk.i18n import DEFAULT_LANGUAGE, N_, tr

logger = logging.getLogger(__name__)

JAW_RIGHT, JAW_LEFT, NOSE_TIP, NOSE_BRIDGE, CHIN = 0, 16, 30, 27, 8
EYE_A = (36, 37, 38, 39, 40, 41)
EYE_B = (42, 43, 44, 45, 46, 47)
INNER_MOUTH = (60, 61, 62, 63, 64, 65, 66, 67)


class Challenge(enum.Enum):
    BLINK = "blink"
    OPEN_MOUTH = "open_mouth"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"

    @property
    def message_key(self) -> str:
        return f"face.liveness.{self.value}"

    @property
    def instruction_zh(self) -> str:
        """The 简体 instruction: the catalogue's text of ``message_key``."""
        return tr(self.message_key, DEFAULT_LANGUAGE)


class LivenessState(enum.Enum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"


class LivenessFailure(enum.Enum):
    TIMEOUT = "timeout"  # the current challenge was not seen in time (a still photo ends here)

    @property
    def message_key(self) -> str:
        return f"face.liveness.{self.value}"


# --------------------------------------------------------------------------- geometry


def _dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot(*(a - b)))


def face_aspect(pts: np.ndarray) -> float:
    """Face height (nose bridge to chin) over face width (jaw end to jaw end)."""
    return _dist(pts[NOSE_BRIDGE], pts[CHIN]) / max(1e-6, _dist(pts[JAW_RIGHT], pts[JAW_LEFT]))


def eye_aspect_ratio(pts: np.ndarray) -> float:
    """Mean EAR of both eyes: (|p2-p6| + |p3-p5|) / (2 |p1-p4|)."""
    values = []
    for eye in (EYE_A, EYE_B):
        p = pts[list(eye)]
        values.append((_dist(p[1], p[5]) + _dist(p[2], p[4])) / (2.0 * max(1e-6, _dist(p[0], p[3]))))
    return sum(values) / 2.0


def mouth_aspect_ratio(pts: np.ndarray) -> float:
    """Inner-lip opening over inner-lip width (0 closed, ~0.5-1 wide open)."""
    p = pts[list(INNER_MOUTH)]
    vertical = _dist(p[1], p[7]) + _dist(p[2], p[6]) + _dist(p[3], p[5])
    return vertical / (3.0 * max(1e-6, _dist(p[0], p[4])))


def yaw_degrees(pts: np.ndarray, mirrored: bool = False) -> float:
    """Head yaw estimate; positive = the resident turned to their own left.

    The nose tip is projected on the jaw-to-jaw axis (so in-plane roll does not matter); for a
    roughly cylindrical head its offset from the middle is ``sin(yaw)`` of the half-width.
    In an unmirrored camera image the resident's left is the image's right.
    """
    a, b, nose = pts[JAW_RIGHT], pts[JAW_LEFT], pts[NOSE_TIP]
    axis = b - a
    length = float(np.dot(axis, axis))
    if length < 1e-6:
        return 0.0
    t = float(np.dot(nose - a, axis)) / length  # 0 at image-left jaw end, 1 at image-right end
    ratio = max(-1.0, min(1.0, 2.0 * t - 1.0))
    yaw = math.degrees(math.asin(ratio))
    return -yaw if mirrored else yaw


def eye_openness(pts: np.ndarray) -> float:
    """EAR normalised by the face aspect (see module docstring)."""
    return eye_aspect_ratio(pts) / max(1e-6, face_aspect(pts))


def mouth_openness(pts: np.ndarray) -> float:
    """MAR normalised by the face aspect."""
    return mouth_aspect_ratio(pts) / max(1e-6, face_aspect(pts))


# --------------------------------------------------------------------------- state machine


@dataclass(frozen=True)
class LivenessConfig:
    """Thresholds. Ratios are relative to this face's own baseline during the challenge."""

    challenge_count: int = 2
    challenge_timeout_s: float = 8.0
    blink_closed_ratio: float = 0.65  # eyes count as closed below this fraction of open level
    blink_reopen_ratio: float = 0.85  # and as open again above this fraction
    min_open_eye: float = 0.12  # an "open" baseline below this is not an open eye
    mouth_closed_max: float = 0.28  # normalised MAR of a closed mouth
    mouth_open_min: float = 0.45  # normalised MAR of a clearly open mouth
    frontal_max_deg: float = 12.0  # a turn must start from a frontal pose
    turn_min_deg: float = 22.0  # and reach at least this yaw
    hold_frames: int = 2  # consecutive frames an open mouth / turn must be held
    mirrored: bool = False  # set when the camera delivers mirrored frames


@dataclass
class LivenessStatus:
    """What the screen shows: state, current instruction, progress and failure if any."""

    state: LivenessState
    challenge: Challenge | None
    done: int
    total: int
    failure: LivenessFailure | None = None

    @property
    def message_key(self) -> str | None:
        """What to tell the resident now: the challenge, the pass, or why it failed."""
        if self.state is LivenessState.PASSED:
            return N_("face.liveness.passed")
        if self.state is LivenessState.FAILED:
            return self.failure.message_key if self.failure else N_("face.liveness.failed")
        return self.challenge.message_key if self.challenge else None

    @property
    def instruction_zh(self) -> str:
        """The 简体 text of ``message_key``, '' when there is nothing to say."""
        key = self.message_key
        return tr(key, DEFAULT_LANGUAGE) if key else ""


@dataclass
class _Track:
    started: float
    openness: list[float] = field(default_factory=list)
    closed_seen: bool = False
    frontal_seen: bool = False
    hold: int = 0


class LivenessSession:
    """One liveness attempt: challenges in order, each within its time limit.

    ``feed(t, landmarks)`` with ``landmarks`` a (68, 2) array or None (no face this frame).
    Timestamps are seconds from any monotonic clock; the first fed frame starts the clock.
    """

    def __init__(
        self,
        challenges: Sequence[Challenge] | None = None,
        config: LivenessConfig | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or LivenessConfig()
        self.challenges: list[Challenge] = (
            list(challenges) if challenges is not None else random_challenges(self.config.challenge_count, rng)
        )
        if not self.challenges:
            raise ValueError("a liveness session needs at least one challenge")
        self._index = 0
        self._track: _Track | None = None
        self.state = LivenessState.RUNNING
        self.failure: LivenessFailure | None = None

    @property
    def current(self) -> Challenge | None:
        return self.challenges[self._index] if self.state is LivenessState.RUNNING else None

    def status(self) -> LivenessStatus:
        return LivenessStatus(self.state, self.current, self._index, len(self.challenges), self.failure)

    def feed(self, t: float, landmarks: np.ndarray | None) -> LivenessStatus:
        """Advance with one frame; returns the status after it."""
        if self.state is not LivenessState.RUNNING:
            return self.status()
        if self._track is None:
            self._track = _Track(started=t)
        if landmarks is not None and self._judge(
            self.challenges[self._index], self._track, np.asarray(landmarks, dtype=np.float64)
        ):
            logger.info("liveness: %s passed", self.challenges[self._index].value)
            self._index += 1
            self._track = _Track(started=t)
            if self._index == len(self.challenges):
                self.state = LivenessState.PASSED
            return self.status()
        if t - self._track.started > self.config.challenge_timeout_s:
            logger.info("liveness: %s timed out", self.challenges[self._index].value)
            self.state = LivenessState.FAILED
            self.failure = LivenessFailure.TIMEOUT
        return self.status()

    def _judge(self, challenge: Challenge, track: _Track, pts: np.ndarray) -> bool:
        cfg = self.config
        if challenge is Challenge.BLINK:
            value = eye_openness(pts)
            track.openness.append(value)
            open_level = float(np.percentile(track.openness, 90))
            if open_level < cfg.min_open_eye:
                return False
            if value < cfg.blink_closed_ratio * open_level:
                track.closed_seen = True
                return False
            # Re-opened after a closure seen while an open level was already established.
            return track.closed_seen and value > cfg.blink_reopen_ratio * open_level
        if challenge is Challenge.OPEN_MOUTH:
            value = mouth_openness(pts)
            if value < cfg.mouth_closed_max:
                track.closed_seen = True
                track.hold = 0
                return False
            track.hold = track.hold + 1 if (track.closed_seen and value > cfg.mouth_open_min) else 0
            return track.hold >= cfg.hold_frames
        yaw = yaw_degrees(pts, cfg.mirrored)
        if abs(yaw) <= cfg.frontal_max_deg:
            track.frontal_seen = True
        wanted = yaw if challenge is Challenge.TURN_LEFT else -yaw
        track.hold = track.hold + 1 if (track.frontal_seen and wanted >= cfg.turn_min_deg) else 0
        return track.hold >= cfg.hold_frames


def random_challenges(count: int = 2, rng: random.Random | None = None) -> list[Challenge]:
    """``count`` distinct challenges in random order; never both turns, so the pair stays quick."""
    generator = rng or random.SystemRandom()
    while True:
        picked = generator.sample(list(Challenge), count)
        if count < 2 or not {Challenge.TURN_LEFT, Challenge.TURN_RIGHT} <= set(picked):
            return picked
