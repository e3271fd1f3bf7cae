"""The libraries the first frame does not need, loaded right after it on a background thread.

The kiosk draws its attract screen without requests (the backend and fleet clients make their
HTTP sessions at their first call), the 社保卡 protocol module (its SM4 card proof), python-escpos
(whose import reads its whole printer-profile database), the receipt preview's renderer (qrcode)
and, with a camera, OpenCV, numpy and dlib. ``start_warm_up(camera=...)`` imports them on a daemon
thread: the UI calls it once the first frame is on screen (cli/ui.py), so by the time a resident
has inserted a card and typed a PIN they are loaded, and neither the first card read, the first
print nor the first face capture or 电子社保卡 scan waits for an import. The face *models* (dlib's
shape predictor and embedding network, about 100 MB) are not loaded here: they still load at the
first face capture, so a terminal whose residents sign in with the PIN does not carry them.

A module that fails to import is logged and skipped; its first real use raises as it always did.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

logger = logging.getLogger(__name__)

# The gateway's HTTP client (requests), the 社保卡 protocol (its SM4 card proof) for the first card;
# printing: python-escpos (its printer-profile database) for the encoder and connectors, the preview.
MODULES = ("requests", "drivers.card.sscard", "escpos.printer", "drivers.printer.preview")
# The camera's frame pipeline: face capture and quality gates (OpenCV, numpy, dlib), the QR decoder.
CAMERA_MODULES = ("cv2", "numpy", "drivers.camera.capture", "drivers.camera.quality", "drivers.camera.qr")


def warm_up(camera: bool) -> list[str]:
    """Import MODULES and, with ``camera``, the camera pipeline's; returns those
    that failed (already logged). Safe on any thread: Python's import lock serialises a module's
    first import with a use of it elsewhere."""
    started = time.monotonic()
    failed = []
    for name in MODULES + (CAMERA_MODULES if camera else ()):
        try:
            importlib.import_module(name)
        except Exception as exc:  # a broken optional library must not take the kiosk down here
            logger.warning("warm-up: importing %s failed: %s", name, exc)
            failed.append(name)
    logger.info("warm-up: device libraries loaded in %.2f s", time.monotonic() - started)
    return failed


def start_warm_up(camera: bool) -> threading.Thread:
    """Run :func:`warm_up` on a daemon thread (it never holds the kiosk from exiting); returns it."""
    thread = threading.Thread(target=warm_up, args=(camera,), name="warm-up", daemon=True)
    thread.start()
    return thread
