"""What the face session endpoint calls to verify a resident's capture against the enrolled photo.

``POST /api/v1/sessions/face`` (server/face_sessions.py) takes multipart JPEG frames, looks up
the resident's enrolled photo and calls::

    result = verify_capture(photo_bytes, frames, threshold=settings.face_threshold)

and counts failures per resident per day in the database (:mod:`server.face.attempts`, so the
lock holds across restarts and workers). :class:`FaceAttemptLimiter` below is the in-memory
variant for single-process callers (benchmarks, CLI).

``verify_capture`` embeds every frame (frames without a face are ignored), scores each against
the photo, and decides on the median score, so one odd frame neither makes nor breaks it.
It also refuses a capture whose frames are not all the same person (a face swapped mid-capture).
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from common.ssn import mask_ssn
from server.face.verifier import DEFAULT_THRESHOLD, FaceImageError, FaceVerifier, default_verifier

logger = logging.getLogger(__name__)

MAX_FRAMES = 3  # each face costs ~75 ms of ResNet on one core; 3 keeps a request ≤ 300 ms
MAX_FAILURES_PER_DAY = 5


@dataclass(frozen=True)
class VerifyResult:
    """``match`` and the median ``score``; ``reason`` names why it is not a match, if known.

    reasons: ``no_face_in_photo`` (the enrolled photo is unusable - staff must re-enrol it),
    ``no_face_in_capture``, ``inconsistent_capture``, ``below_threshold``.
    """

    match: bool
    score: float
    frames_used: int
    scores: list[float] = field(default_factory=list)
    reason: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "match": self.match,
            "score": round(self.score, 4),
            "frames_used": self.frames_used,
            "reason": self.reason,
        }


def verify_capture(
    enrolled_photo: bytes,
    frames: Sequence[bytes],
    threshold: float = DEFAULT_THRESHOLD,
    verifier: FaceVerifier | None = None,
) -> VerifyResult:
    """1:1 verification of up to ``MAX_FRAMES`` captured JPEG frames against the enrolled photo."""
    engine = verifier or default_verifier()
    try:
        reference = engine.embed(enrolled_photo)
    except FaceImageError:
        logger.warning("enrolled photo has no usable face")
        return VerifyResult(False, 0.0, 0, reason="no_face_in_photo")
    vectors = []
    for data in list(frames)[:MAX_FRAMES]:
        try:
            vectors.append(engine.embed(data))
        except FaceImageError as exc:
            logger.info("capture frame skipped: %s", exc.code)
    if not vectors:
        return VerifyResult(False, 0.0, 0, reason="no_face_in_capture")
    scores = [engine.score(reference, v) for v in vectors]
    median = float(statistics.median(scores))
    consistent = all(engine.score(vectors[0], v) >= threshold for v in vectors[1:])
    if not consistent:
        return VerifyResult(False, median, len(vectors), scores, "inconsistent_capture")
    match = median >= threshold
    return VerifyResult(match, median, len(vectors), scores, None if match else "below_threshold")


class FaceLocked(Exception):
    """Face verification is locked for this resident until the end of the day."""

    message_key = "face.locked"


class FaceAttemptLimiter:
    """Counts failed verifications per resident per calendar day (in memory, thread-safe).

    ``MAX_FAILURES_PER_DAY`` failures lock face verification until midnight (local date of
    ``today``). A persistent store can subclass and override ``_load``/``_save``.
    """

    def __init__(self, max_failures: int = MAX_FAILURES_PER_DAY, today: Callable[[], dt.date] = dt.date.today) -> None:
        self.max_failures = max_failures
        self.today = today
        self._counts: dict[tuple[str, dt.date], int] = {}
        self._lock = threading.Lock()

    def _load(self, ssn: str, day: dt.date) -> int:
        return self._counts.get((ssn, day), 0)

    def _save(self, ssn: str, day: dt.date, failures: int) -> None:
        self._counts = {k: v for k, v in self._counts.items() if k[1] == day}  # forget past days
        self._counts[(ssn, day)] = failures

    def failures(self, ssn: str) -> int:
        with self._lock:
            return self._load(ssn, self.today())

    def remaining(self, ssn: str) -> int:
        return max(0, self.max_failures - self.failures(ssn))

    def check(self, ssn: str) -> None:
        """Raise :class:`FaceLocked` when the resident has no attempt left today."""
        if self.remaining(ssn) == 0:
            logger.info("face verification locked for %s", mask_ssn(ssn))
            raise FaceLocked(mask_ssn(ssn))

    def record(self, ssn: str, matched: bool) -> int:
        """Record one attempt's outcome; returns the attempts left today."""
        with self._lock:
            day = self.today()
            failures = self._load(ssn, day) + (0 if matched else 1)
            if not matched:
                self._save(ssn, day, failures)
            return max(0, self.max_failures - failures)
