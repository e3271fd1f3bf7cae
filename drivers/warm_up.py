"""The libraries the first frame does not need, loaded right after it on a background thread.

The kiosk draws its attract screen without requests (the backend and fleet clients make their
HTTP sessions at their first call), the 社保卡 protocol module (its SM4 card proof), python-escpos
(whose import reads its whole printer-profile database) and the receipt preview's renderer
(qrcode). ``start_warm_up()`` imports them on a daemon thread: the UI calls it once the first frame
is on screen (cli/ui.py), so by the time a resident has inserted a card and typed a PIN they are
loaded, and neither the first card read nor the first print waits for an import. The camera's
pipeline (OpenCV, numpy, dlib: about 23 MB) is not loaded here: it loads with the face models
(about 100 MB) at the first face capture or 电子社保卡 scan, about 0.15 s on top of the models, so a
terminal whose residents sign in with card and PIN carries none of it (the memory goal of a
journey: at most 200 MB).

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


def warm_up() -> list[str]:
    """Import MODULES; returns those that failed (already logged). Safe on any thread: Python's
    import lock serialises a module's first import with a use of it elsewhere."""
    started = time.monotonic()
    failed = []
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a broken optional library must not take the kiosk down here
            logger.warning("warm-up: importing %s failed: %s", name, exc)
            failed.append(name)
    logger.info("warm-up: device libraries loaded in %.2f s", time.monotonic() - started)
    return failed


def start_warm_up() -> threading.Thread:
    """Run :func:`warm_up` on a daemon thread (it never holds the kiosk from exiting); returns it."""
    thread = threading.Thread(target=warm_up, name="warm-up", daemon=True)
    thread.start()
    return thread
