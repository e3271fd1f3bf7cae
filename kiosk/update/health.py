"""The new release's side of the health contract (docs/software-update.md):

- While ``DATA/update/state.json`` names this release, it is on probation. Its first heartbeat
  accepted by the server (the fleet agent starts once the UI's first frame is up) proves it
  healthy: ``last.json`` = ``{"version", "outcome": "healthy", "at"}`` is written and
  ``state.json`` removed.
- Still on probation at ``switched_at + deadline_s``: ``request_exit`` is called (the kiosk exits
  with 75 and the launcher, seeing the deadline passed, rolls back).
- ``last.json`` (healthy, or rolled_back written by the launcher) is reported to the fleet manager
  once; ``last-reported.json`` keeps what was sent so a restart does not send it again (the server
  would ignore a repeat anyway). A version rolled back from is never installed again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from common.release import valid_version
from kiosk.update.layout import REPORTED_FILE, Layout, read_json, remember_refused, write_json

logger = logging.getLogger(__name__)

Reporter = Callable[[str, str, str], Any]


class HealthWatch:
    def __init__(
        self,
        layout: Layout,
        version: str,
        report: Reporter,
        request_exit: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.layout = layout
        self.version = version
        self.report = report
        self.request_exit = request_exit
        self.clock = clock
        self.healthy = False
        self._timer: threading.Timer | None = None

    def probation(self) -> dict[str, Any] | None:
        """``state.json`` when it names this release, else None."""
        state = read_json(self.layout.state_path)
        return state if state is not None and state.get("version") == self.version else None

    def start(self) -> None:
        """Arm the deadline when this release is on probation (call at the kiosk's start)."""
        state = self.probation()
        if state is None:
            return
        left = float(state.get("switched_at", 0)) + float(state.get("deadline_s", 0)) - self.clock()
        logger.info("release %s on probation: healthy within %.0f s or rolled back", self.version, left)
        self._timer = threading.Timer(max(0.0, left), self.check_deadline)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def check_deadline(self) -> bool:
        """True (and ``request_exit`` called) when the deadline passed without the healthy mark."""
        state = self.probation()
        if self.healthy or state is None:
            return False
        if self.clock() < float(state.get("switched_at", 0)) + float(state.get("deadline_s", 0)):
            return False
        logger.error("release %s not healthy by its deadline: exiting for the launcher to roll back", self.version)
        self.request_exit()
        return True

    def after_beat(self) -> None:
        """After an accepted heartbeat: mark healthy when on probation, then report ``last.json``."""
        if not self.healthy and self.probation() is not None:
            write_json(self.layout.last_path, {"version": self.version, "outcome": "healthy", "at": int(self.clock())})
            self.layout.state_path.unlink(missing_ok=True)
            self.stop()
            logger.info("release %s is healthy", self.version)
        self.healthy = True
        self.report_last()

    def report_last(self) -> bool:
        """Send ``last.json`` unless it was sent already; True when sent. Raises backend errors."""
        last = read_json(self.layout.last_path)
        if last is None or last == read_json(self.layout.update_dir / REPORTED_FILE):
            return False
        version, outcome = last.get("version"), last.get("outcome")
        if not valid_version(version) or outcome not in ("healthy", "rolled_back"):
            logger.warning("last.json is malformed; not reported")
            return False
        if outcome == "rolled_back":
            remember_refused(self.layout, str(version))
        self.report(str(version), str(outcome), str(last.get("reason", ""))[:300])
        write_json(self.layout.update_dir / REPORTED_FILE, last)
        return True
