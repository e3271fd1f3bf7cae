"""The fleet manager's release endpoints (server/fleet/release_router.py), on the fleet client's
session and error mapping: connection problems and 5xx → ``BackendUnavailable``, timeouts →
``BackendTimeout``, 4xx → ``BackendRejected``.

- ``release()``: the signed manifest envelope offered to this terminal, or None (204).
- ``download(version, dest, should_continue)``: append the artefact to ``dest`` from its current
  size (``Range: bytes=N-``), chunk by chunk while ``should_continue()`` holds; a stopped or broken
  download resumes at the next call.
- ``report(version, step, reason)``: one update step; the server treats a repeat as a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.errors import BackendUnavailable
from kiosk.fleet_client import FleetClient

logger = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024


class UpdateClient(FleetClient):
    def release(self) -> dict[str, Any] | None:
        resp = self._call("GET", "/release")
        if resp.status_code == 204:
            return None
        return self._json(resp)

    def download(self, version: str, dest: Path, should_continue: Callable[[], bool]) -> bool:
        """True when the whole artefact is in ``dest``; False when ``should_continue`` stopped it."""
        import requests

        offset = dest.stat().st_size if dest.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        resp = self._call("GET", f"/releases/{version}/artefact", headers=headers, stream=True)
        try:
            if resp.status_code == 416:
                return True  # nothing left after offset: the file is complete (the size check decides)
            mode = "ab" if resp.status_code == 206 else "wb"
            with dest.open(mode) as handle:
                for chunk in resp.iter_content(CHUNK_BYTES):
                    handle.write(chunk)
                    if not should_continue():
                        logger.info("release download paused at %d bytes", handle.tell())
                        return False
        except requests.RequestException as exc:
            raise BackendUnavailable(f"download of {version}: {type(exc).__name__}") from exc
        finally:
            resp.close()
        return True

    def report(self, version: str, step: str, reason: str = "") -> dict[str, Any]:
        return self._json(
            self._call("POST", "/update-report", json={"version": version, "step": step, "reason": reason[:300]})
        )
