"""CardMonitor: insert/remove events from any CardReader, on a daemon worker thread.

Polling ``card_present()`` is the robust route: pyscard's own CardMonitor misses a card already
present at start and its thread dies when the reader is unplugged (pyscard issues #231, #13).
Between polls the worker calls ``reader.wait_for_change(poll_interval)``, which for PC/SC blocks
in SCardGetStatusChange and so wakes as soon as pcscd sees the change (events well within 0.5 s).

A reader or service loss (CardError NO_READER/SERVICE) counts as "no card": if a card was
present, ``on_removed`` fires, and polling goes on until the reader is back.  A card already
present at ``start()`` is reported as inserted.  Callbacks run on the worker thread; an
exception in a callback is logged and never stops the monitor.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from drivers.card.base import CardReader
from kiosk.errors import CardError

logger = logging.getLogger(__name__)


class CardMonitor:
    def __init__(
        self,
        reader: CardReader,
        on_inserted: Callable[[], None],
        on_removed: Callable[[], None],
        poll_interval: float = 0.1,
    ) -> None:
        self.reader = reader
        self.on_inserted = on_inserted
        self.on_removed = on_removed
        self.poll_interval = poll_interval
        self.present = False
        self.last_error: CardError | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,), name="card-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _poll(self) -> bool:
        try:
            present = self.reader.card_present()
        except CardError as exc:
            if self.last_error is None or self.last_error.kind != exc.kind:
                logger.warning("card reader unavailable (%s): %s", exc.kind.value, exc.detail)
            self.last_error = exc
            return False
        except Exception:  # noqa: BLE001 - a driver bug must not kill the monitor; treat as no card
            logger.exception("card_present failed unexpectedly")
            return False
        if self.last_error is not None:
            logger.info("card reader available again")
            self.last_error = None
        return present

    def _fire(self, callback: Callable[[], None], what: str) -> None:
        try:
            callback()
        except Exception:  # noqa: BLE001 - the kiosk's handler failing must not stop card events
            logger.exception("card %s callback failed", what)

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            present = self._poll()
            if present != self.present:
                self.present = present
                logger.info("card %s", "inserted" if present else "removed")
                self._fire(self.on_inserted if present else self.on_removed, "inserted" if present else "removed")
            if stop.is_set():
                break
            if self.last_error is not None:
                stop.wait(self.poll_interval)
            else:
                self.reader.wait_for_change(self.poll_interval)
