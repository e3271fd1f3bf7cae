"""Face figures: the per-frame pipeline at 640×480 on one core, and server verification latency.

* ``face pipeline``: detect (dlib HOG) + 68 landmarks + metrics + gates per frame, frames/s on one
  pinned core with OpenCV single-threaded; goal ≥ 25 fps. Baseline: the same pipeline with
  OpenCV's bundled Haar cascade as the detector.
* ``face verify``: ``verify_capture`` with the enrolled photo's embedding cached and the two best
  frames a terminal sends; goal ≤ 300 ms. Baseline: the same request without the photo cache
  (the photo embedded again on every request).
Frames come from drivers.camera.synth (scikit-image portraits), so no external data is needed.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from drivers.camera.face_engine import FaceBox, FaceEngine
from drivers.camera.quality import FrameAnalyzer
from drivers.camera.synth import FaceSynth, astronaut_bgr, live_script
from server.face.demo import demo_photo_jpeg
from server.face.router import verify_capture
from server.face.verifier import FaceVerifier

logger = logging.getLogger(__name__)


@contextmanager
def _one_core() -> Iterator[None]:
    """Pin this process to one CPU and OpenCV to one thread; restore both afterwards."""
    threads = cv2.getNumThreads()
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        if affinity:
            os.sched_setaffinity(0, {min(affinity)})
        cv2.setNumThreads(1)
        yield
    finally:
        cv2.setNumThreads(threads)
        if affinity:
            os.sched_setaffinity(0, affinity)


class _HaarEngine(FaceEngine):
    """The baseline detector: OpenCV's bundled frontal-face Haar cascade, dlib landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self._haar = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"))

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        found = self._haar.detectMultiScale(gray, 1.1, 5, minSize=(80, 80))
        boxes = [FaceBox(int(x), int(y), int(w), int(h)) for x, y, w, h in found]
        return sorted(boxes, key=lambda b: b.area, reverse=True)


def _fps(analyzer: FrameAnalyzer, frames: list[np.ndarray]) -> float:
    analyzer.analyze(frames[0])
    started = time.perf_counter()
    for frame in frames:
        analyzer.analyze(frame)
    return len(frames) / (time.perf_counter() - started)


def _median_ms(func: Callable[[], object], setup: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats + 1):
        setup()
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:])  # the first call loads models and is not counted


def run(quick: bool) -> list[dict]:
    synth = FaceSynth(astronaut_bgr(), FaceEngine(upsample=1))
    poses = live_script()
    frames = [synth.render(p) for p in poses[:: 6 if quick else 1]]
    with _one_core():
        ours = _fps(FrameAnalyzer(FaceEngine()), frames)
        haar = _fps(FrameAnalyzer(_HaarEngine()), frames)
    photo = demo_photo_jpeg()
    capture = [cv2.imencode(".jpg", frames[i], [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes() for i in (0, 3)]
    verifier = FaceVerifier()
    repeats = 3 if quick else 10

    def request() -> object:
        return verify_capture(photo, capture, verifier=verifier)

    def photo_cached_only() -> None:
        # Each request brings new frames; only the enrolled photo's embedding may be cached.
        verifier.clear_cache()
        verifier.embed(photo)

    cached_ms = _median_ms(request, photo_cached_only, repeats)
    uncached_ms = _median_ms(request, verifier.clear_cache, repeats)
    return [
        {
            "name": "face pipeline 640x480 (1 core)",
            "value": ours,
            "unit": "frames/s",
            "baseline_name": "Haar cascade pipeline",
            "baseline": haar,
        },
        {
            "name": "face verify (2 frames)",
            "value": cached_ms,
            "unit": "ms",
            "baseline_name": "without photo cache",
            "baseline": uncached_ms,
        },
    ]
