"""Find and decode one QR code in a camera frame, e.g. a 电子社保卡 code shown on a phone screen.

Contract of :meth:`QrDecoder.decode`: a BGR (or grayscale) ``uint8`` frame in, the QR code's payload
out when it is printable ASCII, else None (no code, an unreadable one, or a payload with other
characters: OpenCV decodes UTF-8 payloads unreliably, and the codes this terminal reads are ASCII,
see common.esscard). Never raises for what a camera may deliver; a frame of the wrong type or
shape is a programming error and raises ValueError.

How: OpenCV's ``cv2.QRCodeDetector`` (finder patterns) first; a code it misses - small, tilted,
noisy, as a phone held at an angle in front of the camera is - goes to OpenCV's ArUco-based
``cv2.QRCodeDetectorAruco``, which finds such codes far more often; when either located a code but
could not decode it, the region around it is enlarged and decoded once more. A frame without a
code costs a few milliseconds (both detectors give up early); one with a code 10-70 ms at 640×480.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

logger = logging.getLogger(__name__)

# A located code is cropped with this margin (relative to its size) and enlarged to about this
# many pixels across before the second decoding: the detectors need ~3 px per module.
CROP_MARGIN = 0.25
CROP_TARGET_PX = 400


class QrDecoder:
    """Reusable detectors (building them per frame would cost). Not thread-safe: one per thread."""

    def __init__(self) -> None:
        self._detectors: tuple[cv2.QRCodeDetector | cv2.QRCodeDetectorAruco, ...] = (
            cv2.QRCodeDetector(),
            cv2.QRCodeDetectorAruco(),
        )

    def decode(self, frame: np.ndarray) -> str | None:
        """The printable-ASCII payload of a QR code in ``frame``, or None (see the module doc)."""
        gray = _gray(frame)
        located: list[np.ndarray] = []
        for detector in self._detectors:
            text, points = self._try(detector, gray)
            if text:
                return _ascii_only(text)
            if points is not None:
                located.append(points)
        for points in located:
            crop = _enlarged_region(gray, points)
            if crop is None:
                continue
            for detector in self._detectors:
                text, _ = self._try(detector, crop)
                if text:
                    return _ascii_only(text)
        return None

    @staticmethod
    def _try(
        detector: cv2.QRCodeDetector | cv2.QRCodeDetectorAruco, image: np.ndarray
    ) -> tuple[str, np.ndarray | None]:
        try:
            text, points, _ = detector.detectAndDecode(image)
        except cv2.error as exc:  # OpenCV asserts on some degenerate quadrilaterals: no code there
            logger.debug("QR detection failed on a frame: %s", exc)
            return "", None
        if points is None or np.asarray(points).size < 8:
            return text or "", None
        return text or "", np.asarray(points, dtype=np.float32).reshape(-1, 2)[:4]


def decode_qr(frame: np.ndarray, decoder: QrDecoder | None = None) -> str | None:
    """One-off :meth:`QrDecoder.decode`; pass a decoder when decoding many frames."""
    return (decoder or QrDecoder()).decode(frame)


def _gray(frame: np.ndarray) -> np.ndarray:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
        raise ValueError("a frame is a numpy uint8 array")
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 3:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    raise ValueError(f"a frame is (H, W, 3) BGR or (H, W) gray, not {frame.shape}")


def _enlarged_region(gray: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The located code with a margin, enlarged so its modules are a few pixels wide; None if empty."""
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    margin = CROP_MARGIN * max(x1 - x0, y1 - y0)
    height, width = gray.shape[:2]
    left, top = int(max(0, x0 - margin)), int(max(0, y0 - margin))
    right, bottom = int(min(width, x1 + margin)), int(min(height, y1 + margin))
    if right - left < 8 or bottom - top < 8:
        return None
    crop = gray[top:bottom, left:right]
    factor = max(1.0, CROP_TARGET_PX / max(crop.shape))
    return cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def _ascii_only(text: str) -> str | None:
    # The payload is not logged: a resident may show a payment code or anything else by mistake.
    if text.isascii() and text.isprintable():
        return text
    logger.info("QR code ignored: its payload is not printable ASCII (%d characters)", len(text))
    return None
