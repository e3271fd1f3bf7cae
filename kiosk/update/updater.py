"""The terminal's updater: asks for its assigned release, downloads it between residents, verifies,
installs beside the running release, switches and asks for a restart — reporting every step.

``Updater.after_beat()`` is called by the fleet agent after each accepted heartbeat. It reports a
pending ``last.json`` (kiosk.update.health) and, every ``check_every`` seconds, runs one update
pass on a thread of its own so a long download never delays a heartbeat. A pass:

1. ``GET /release``; nothing offered, or the running version, or a version this terminal refused
   or rolled back from (``DATA/update/refused.json``): done.
2. Verify the manifest's signature with the server key pinned at enrolment; a bad one is reported
   ``refused`` and remembered, nothing is downloaded.
3. Download into ``DATA/update/<version>.tar.gz.part`` only while ``is_idle()``: a resident
   arriving pauses it, the next pass resumes from where it stopped (``Range``); errors retry then.
4. Check size and sha256 (``verified``), unpack and link the venv (``installed``); a mismatch or a
   bad archive is ``refused``, the file deleted, nothing switched.
5. Once idle, write ``state.json`` and switch ``current`` (``switched``), then ``request_restart``
   (the core restarts with exit 75 between residents; the launcher starts the new release).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.release import ManifestRejected, valid_version, verify_manifest
from kiosk.errors import KioskError
from kiosk.remote_config import load_pinned_key
from kiosk.update import installer
from kiosk.update.client import UpdateClient
from kiosk.update.health import HealthWatch
from kiosk.update.layout import DEFAULT_DEADLINE_S, Layout, refused_versions, remember_refused

logger = logging.getLogger(__name__)


class Updater:
    def __init__(
        self,
        client: UpdateClient,
        layout: Layout,
        key_dir: Path,
        is_idle: Callable[[], bool],
        request_restart: Callable[[], None],
        health: HealthWatch | None = None,
        check_every: float = 300.0,
        deadline_s: int = DEFAULT_DEADLINE_S,
        builder: installer.VenvBuilder = installer.build_venv,
    ) -> None:
        self.client = client
        self.layout = layout
        self.key_dir = Path(key_dir)
        self.is_idle = is_idle
        self.request_restart = request_restart
        self.health = health
        self.check_every = check_every
        self.deadline_s = deadline_s
        self.builder = builder
        self.last_check: float | None = None
        self.last_outcome = ""
        self.switched_to: str | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ agent hook
    def after_beat(self) -> None:
        """Called by the fleet agent after an accepted heartbeat; never raises."""
        try:
            if self.health is not None:
                self.health.after_beat()
        except Exception:  # the update side must never stop heartbeats
            logger.exception("update health check failed")
        if not self.layout.installed():
            return
        now = time.monotonic()
        if self.last_check is not None and now - self.last_check < self.check_every:
            return
        if self._thread is not None and self._thread.is_alive():
            return
        self.last_check = now
        self._thread = threading.Thread(target=self._safe_pass, name="release-updater", daemon=True)
        self._thread.start()

    def join(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _safe_pass(self) -> None:
        try:
            self.last_outcome = self.run_once()
        except KioskError as exc:
            self.last_outcome = f"retry: {exc.detail}"
            logger.warning("update pass failed (%s); retried at the next check", exc.detail)
        except Exception:
            self.last_outcome = "error"
            logger.exception("update pass failed")

    # ------------------------------------------------------------------ one pass
    def run_once(self) -> str:
        """One update pass (see the module docstring); returns what happened, for logs and tests.
        Raises backend errors (retried at the next pass)."""
        with self._lock:
            if self.switched_to is not None:
                return self._restart_when_idle()
            envelope = self.client.release()
            if envelope is None:
                return "none offered"
            version = _claimed_version(envelope)
            if version == self.layout.current_version():
                return "up to date"
            if version in refused_versions(self.layout):
                return "refused before"
            try:
                manifest = verify_manifest(envelope, load_pinned_key(self.key_dir))
            except ManifestRejected as exc:
                # Not remembered: a forged manifest must not block the genuine release of that name.
                return self._refuse(version if valid_version(version) else "unknown", exc, remember=False)
            return self._install(manifest)

    def _install(self, manifest: dict[str, Any]) -> str:
        version = manifest["version"]
        part = self.layout.update_dir / f"{version}.tar.gz.part"
        part.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for stale in part.parent.glob("*.tar.gz.part"):
            if stale != part:  # a download of a release no longer offered
                stale.unlink(missing_ok=True)
        if not self.is_idle():
            return "waiting for idle"
        if not (part.exists() and part.stat().st_size >= manifest["size"]):
            self.client.report(version, "downloading")
            if not self.client.download(version, part, self.is_idle):
                return "download paused"
        try:
            installer.verify_artefact(part, manifest)
            self.client.report(version, "verified")
            installer.unpack(self.layout, part, version, self.builder)
        except ManifestRejected as exc:
            part.unlink(missing_ok=True)
            return self._refuse(version, exc)
        except OSError as exc:
            part.unlink(missing_ok=True)
            return self._refuse(version, ManifestRejected("malformed", str(exc)))
        part.unlink(missing_ok=True)
        self.client.report(version, "installed")
        return self._switch_when_idle(version)

    def _switch_when_idle(self, version: str) -> str:
        if not self.is_idle():
            self.last_check = None  # installed: switch at the next beat that finds the kiosk idle
            return "installed, waiting for idle"
        installer.switch(self.layout, version, self.deadline_s)
        self.switched_to = version
        self.client.report(version, "switched")
        return self._restart_when_idle()

    def _restart_when_idle(self) -> str:
        if not self.is_idle():
            self.last_check = None
            return "switched, waiting for idle"
        self.request_restart()
        return "switched, restarting"

    def _refuse(self, version: str, exc: ManifestRejected, remember: bool = True) -> str:
        reason = f"{exc.reason}: {exc.detail}" if exc.detail else exc.reason
        logger.warning("release %s refused: %s", version, reason)
        if remember:
            remember_refused(self.layout, version)
        self.client.report(version, "refused", reason)
        return f"refused: {reason}"


def _claimed_version(envelope: Any) -> str | None:
    """The version an envelope claims before its signature is checked (for the report only)."""
    manifest = envelope.get("manifest") if isinstance(envelope, dict) else None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return str(version)[:32] if isinstance(version, str) else None
