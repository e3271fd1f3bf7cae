"""kiosk.ports.QrScanPort over a camera: read frames on a worker thread until a QR code is seen.

One scan at a time owns the camera (a Camera is not thread-safe): a scan started while the last
one is still closing the device waits for it. Preview frames are mirrored and converted for a Kivy
texture exactly as the face capture's (:mod:`drivers.camera.face_port`), throttled to
``preview_fps``. A payload is never logged: it is a credential, or whatever else a resident shows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from drivers.camera.base import Camera, CameraError
from kiosk.ports import FaceProgress

if TYPE_CHECKING:  # OpenCV loads at the first scan or in drivers.warm_up, not at start
    import numpy as np

    from drivers.camera.qr import QrDecoder

logger = logging.getLogger(__name__)

TIMEOUT_KEY = "esscard.scan.timeout"
# A 电子社保卡 code is valid for 60 s; a resident who has not shown one by then has walked away.
DEFAULT_TIMEOUT_S = 60.0


class _Scan:
    """One scan's callbacks; ``finish`` calls at most one of them, never after ``cancel``."""

    def __init__(self, on_code: Callable[[str], None], on_stop: Callable[[str], None], ignore: Collection[str]) -> None:
        self.on_code, self.on_stop, self.ignore = on_code, on_stop, frozenset(ignore)
        self._lock = threading.RLock()
        self._over = False

    @property
    def over(self) -> bool:
        return self._over

    def cancel(self) -> None:
        # Taking the lock waits for a callback in progress: once cancel returns, none follows.
        with self._lock:
            self._over = True

    def deliver(self, callback: Callable[[Any], None], value: Any) -> None:
        """A preview: only while the scan runs."""
        with self._lock:
            if not self._over:
                callback(value)

    def finish(self, callback: Callable[[str], None], value: str) -> None:
        with self._lock:
            if self._over:
                return
            self._over = True
            callback(value)


class CameraQrScanPort:
    """QrScanPort over ``camera``; ``timeout_s`` from each ``start``; ``clock`` injectable for tests."""

    def __init__(
        self,
        camera: Camera,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        preview_fps: float = 15.0,
        preview_width: int = 480,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.camera = camera
        self.timeout_s = timeout_s
        self._min_interval = 1.0 / preview_fps
        self._preview_width = preview_width
        self._clock = clock
        self._lock = threading.Lock()
        self._camera_lock = threading.Lock()
        self._scan: _Scan | None = None
        self._decoder: QrDecoder | None = None  # used under _camera_lock only

    def start(
        self,
        on_code: Callable[[str], None],
        on_stop: Callable[[str], None],
        on_preview: Callable[[FaceProgress], None] | None = None,
        ignore: Collection[str] = (),
    ) -> None:
        """See kiosk.ports.QrScanPort; a scan still running is cancelled first."""
        scan = _Scan(on_code, on_stop, ignore)
        with self._lock:
            previous, self._scan = self._scan, scan
        if previous is not None:
            previous.cancel()
        threading.Thread(target=self._run, args=(scan, on_preview), name="qr-scan", daemon=True).start()

    def cancel(self) -> None:
        with self._lock:
            scan, self._scan = self._scan, None
        if scan is not None:
            scan.cancel()

    def _run(self, scan: _Scan, on_preview: Callable[[FaceProgress], None] | None) -> None:
        with self._camera_lock:
            if scan.over:
                return
            if self._decoder is None:
                from drivers.camera.qr import QrDecoder

                self._decoder = QrDecoder()
            try:
                self._scan_frames(scan, self._decoder, on_preview)
            except CameraError as exc:
                logger.warning("QR scan stopped: %s", exc.detail)
                scan.finish(scan.on_stop, exc.message_key)
            except Exception:  # the flow must hear of any end, or the resident would wait for nothing
                logger.exception("QR scan failed")
                scan.finish(scan.on_stop, "camera.error")
            finally:
                self.camera.close()

    def _scan_frames(self, scan: _Scan, decoder: QrDecoder, on_preview: Callable[[FaceProgress], None] | None) -> None:
        started = self._clock()
        last_preview = float("-inf")
        self.camera.open()
        while not scan.over:
            frame = self.camera.read()
            now = self._clock()
            if on_preview is not None and now - last_preview >= self._min_interval:
                last_preview = now
                scan.deliver(on_preview, self._preview(frame))
            payload = decoder.decode(frame)
            if payload is not None and payload not in scan.ignore:
                logger.info("QR code read (%d characters)", len(payload))
                scan.finish(scan.on_code, payload)
                return
            if now - started > self.timeout_s:
                logger.info("QR scan timed out after %.0f s", self.timeout_s)
                scan.finish(scan.on_stop, TIMEOUT_KEY)
                return

    def _preview(self, frame: np.ndarray) -> FaceProgress:
        import cv2

        height, width = frame.shape[:2]
        scale = self._preview_width / width
        small = cv2.resize(frame, (self._preview_width, int(height * scale)), interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(cv2.flip(small, -1), cv2.COLOR_BGR2RGB)  # mirror + bottom row first for Kivy
        return FaceProgress(rgb.tobytes(), rgb.shape[1], rgb.shape[0], None)
