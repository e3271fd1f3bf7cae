"""The heartbeat a terminal sends to the fleet manager.

Contents (schema: ``common.fleet_protocol.HeartbeatPayload``, which the fleet manager validates
every beat with; unknown keys are refused): app version, uptime, config version applied, every
device's status (printer with its paper state), the last error, sessions and prints since the
previous beat, print queue length and maintenance mode. Nothing about residents: counts only,
and error texts are the caller's log-safe details (cut to the schema's limits).

Device providers are called on the heartbeat thread; they must not block on hardware — read the
last status a driver already observed (e.g. ``Printer.last_status``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from common.fleet_protocol import MAX_APP_VERSION_CHARS, MAX_DEVICES, MAX_ERROR_CHARS
from kiosk.device_report import DeviceReport

logger = logging.getLogger(__name__)

DeviceProvider = Callable[[], DeviceReport]


class HeartbeatBuilder:
    """Builds heartbeat payloads; ``totals`` returns running (sessions, prints) counts and the
    builder reports the difference since the previous ``build``."""

    def __init__(
        self,
        app_version: str,
        devices: dict[str, DeviceProvider],
        totals: Callable[[], tuple[int, int]] = lambda: (0, 0),
        maintenance: Callable[[], bool] = lambda: False,
        print_queue: Callable[[], int] = lambda: 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app_version = app_version[:MAX_APP_VERSION_CHARS]
        self._devices = devices
        self._totals = totals
        self._maintenance = maintenance
        self._print_queue = print_queue
        self._clock = clock
        self._started = clock()
        self._last_totals = totals()
        self._last_error: str | None = None
        self._lock = threading.Lock()

    def note_error(self, detail: str) -> None:
        """Remember the latest error (a log-safe detail, never personal data)."""
        with self._lock:
            self._last_error = detail[:MAX_ERROR_CHARS]

    @property
    def last_error(self) -> str | None:
        return self._last_error

    def _device(self, name: str, provider: DeviceProvider) -> dict[str, Any]:
        try:
            return provider().to_json()
        except Exception as exc:  # a broken provider must not stop the heartbeat itself
            logger.warning("device status of %s unavailable: %s", name, exc)
            return DeviceReport("unknown", type(exc).__name__).to_json()

    def build(self, config_version: int | None) -> dict[str, Any]:
        totals = self._totals()
        with self._lock:
            sessions = max(0, totals[0] - self._last_totals[0])
            prints = max(0, totals[1] - self._last_totals[1])
            self._last_totals = totals
            last_error = self._last_error
        return {
            "app_version": self.app_version,
            "uptime_seconds": round(self._clock() - self._started, 1),
            "config_version": config_version,
            "devices": {name: self._device(name, p) for name, p in list(self._devices.items())[:MAX_DEVICES]},
            "last_error": last_error,
            "sessions": sessions,
            "prints": prints,
            "print_queue": max(0, int(self._print_queue())),
            "maintenance": bool(self._maintenance()),
        }

    def rollback_counts(self, payload: dict[str, Any]) -> None:
        """The beat carrying ``payload`` was not delivered: count its sessions/prints again next time."""
        with self._lock:
            self._last_totals = (self._last_totals[0] - payload["sessions"], self._last_totals[1] - payload["prints"])
