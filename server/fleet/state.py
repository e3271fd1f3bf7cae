"""Per-app fleet state (``app.state.fleet``): signing key, heartbeat interval, login limiter and
the in-memory caches of the heartbeat hot path (see ``server.fleet.heartbeats``).

Created by ``install_fleet`` (``server.app`` calls it; tests and the embedded server choose the
interval), or on the first request from the gateway settings (the key in the server data directory).
The periodic work (write buffered beats, check the caches against the database) runs in a worker
thread, started by whichever request finds it due: ``refresh_due``/``refresh`` and ``flush_due``/``flush``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Request
from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError

from server.context import GatewayContext
from server.fleet import service
from server.fleet.directory import TerminalDirectory
from server.fleet.heartbeats import BeatBuffer, CommandCache, VersionCache
from server.fleet.models import Heartbeat
from server.fleet.signing import load_or_create_key
from server.fleet.staff import LoginLimiter

logger = logging.getLogger(__name__)

_state_lock = threading.Lock()
HEARTBEAT_RETENTION_SECONDS = 7 * 24 * 3600
_PRUNE_EVERY_SECONDS = 600.0


@dataclass
class FleetState:
    """Per-app fleet state (``app.state.fleet``)."""

    key: Ed25519PrivateKey
    heartbeat_interval: int = service.DEFAULT_HEARTBEAT_INTERVAL
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    # The console cookies' Secure flag (ServerSettings.secure_cookies): on unless turned off.
    secure_cookies: bool = True
    last_prune: float = field(default_factory=time.monotonic)
    versions: VersionCache = field(default_factory=VersionCache)
    beats: BeatBuffer = field(default_factory=BeatBuffer)
    commands: CommandCache = field(default_factory=CommandCache)
    directory: TerminalDirectory = field(default_factory=TerminalDirectory)
    # Held while a worker thread refreshes / flushes: a second request finding the same work due
    # meanwhile returns at once and answers from the caches as they are. Taken in the worker
    # thread itself, so a request cancelled before its thread starts cannot leave it held.
    _refreshing: threading.Lock = field(default_factory=threading.Lock)
    _flushing: threading.Lock = field(default_factory=threading.Lock)

    def refresh_due(self) -> bool:
        """True when a cache is due for a check and no check is running: run ``refresh`` then."""
        due = self.directory.due() or self.versions.due() or self.commands.due()
        return due and not self._refreshing.locked()

    def refresh(self, ctx: GatewayContext) -> None:
        """Check the due caches against the database (in a worker thread)."""
        if not self._refreshing.acquire(blocking=False):
            return
        try:
            with ctx.sessions() as db:
                if self.directory.due():
                    self.directory.refresh(db)
                if self.versions.due():
                    self.versions.refresh(db)
                if self.commands.due():
                    self.commands.refresh(db)
        finally:
            self._refreshing.release()

    def flush_due(self) -> bool:
        """True when buffered beats are due and no flush is running: run ``flush`` then."""
        return self.beats.due() and not self._flushing.locked()

    def flush(self, ctx: GatewayContext) -> None:
        """Write the buffered beats, and prune old history now and then (in a worker thread).

        Never raises for the database: a refused flush keeps its beats (``BeatBuffer.flush``) and a
        refused prune is tried again in the next period, so the heartbeat that found the work due is
        answered as usual (its own beat waits in the buffer)."""
        if not self._flushing.acquire(blocking=False):
            return
        try:
            with ctx.sessions() as db:
                self.beats.flush(db)
            if time.monotonic() - self.last_prune > _PRUNE_EVERY_SECONDS:
                self._prune(ctx)
        finally:
            self._flushing.release()

    def _prune(self, ctx: GatewayContext) -> None:
        self.last_prune = time.monotonic()  # a refused prune waits for the next period: nothing is lost
        cutoff = service.utcnow() - dt.timedelta(seconds=HEARTBEAT_RETENTION_SECONDS)
        try:
            with ctx.sessions.begin() as db:
                db.execute(delete(Heartbeat).where(Heartbeat.received_at < cutoff))
        except SQLAlchemyError as exc:
            logger.warning("heartbeat history prune refused by the database", extra={"error": type(exc).__name__})


def install_fleet(
    app: Any,
    data_dir: Any,
    heartbeat_interval: int | None = None,
    limiter: LoginLimiter | None = None,
    secure_cookies: bool | None = None,
) -> FleetState:
    """Create the fleet state explicitly (tests, embedded server); otherwise done on first request.
    ``secure_cookies`` defaults to the gateway settings' (True without settings)."""
    interval = heartbeat_interval or int(
        os.environ.get("RENSHE_HEARTBEAT_INTERVAL", service.DEFAULT_HEARTBEAT_INTERVAL)
    )
    state = FleetState(
        key=load_or_create_key(data_dir),
        heartbeat_interval=interval,
        limiter=limiter or LoginLimiter(),
        secure_cookies=_secure_cookies(app) if secure_cookies is None else secure_cookies,
    )
    app.state.fleet = state
    return state


def _secure_cookies(app: Any) -> bool:
    ctx = getattr(getattr(app, "state", None), "ctx", None)
    settings = getattr(ctx, "settings", None)
    return bool(getattr(settings, "secure_cookies", True))


async def get_fleet(request: Request) -> FleetState:
    """The app's fleet state (``async``: no I/O after the first call, so no thread-pool hop)."""
    state = getattr(request.app.state, "fleet", None)
    if state is None:
        with _state_lock:
            state = getattr(request.app.state, "fleet", None) or install_fleet(
                request.app, request.app.state.ctx.settings.data_dir
            )
    return state


def flush_beats(db: Any, fleet: FleetState) -> None:
    """Write buffered heartbeats before a page reads terminal state (``db`` is committed, or rolled
    back when the database refuses the flush: the page then shows the state as last written)."""
    fleet.beats.flush(db)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""
