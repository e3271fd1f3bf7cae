"""Per-app fleet state (``app.state.fleet``): signing key, heartbeat interval, login limiter.

Created on the first request from the gateway settings (the key in the server data directory),
or explicitly with ``install_fleet`` (tests, embedded server) to choose the interval.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, Request

from server.context import GatewayContext, get_ctx
from server.fleet import service
from server.fleet.heartbeats import BeatBuffer, CommandCache, VersionCache
from server.fleet.signing import load_or_create_key
from server.fleet.staff import LoginLimiter

logger = logging.getLogger(__name__)

_state_lock = threading.Lock()


@dataclass
class FleetState:
    """Per-app fleet state (``app.state.fleet``)."""

    key: Ed25519PrivateKey
    heartbeat_interval: int = service.DEFAULT_HEARTBEAT_INTERVAL
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    secure_cookies: bool = False
    last_prune: float = field(default_factory=time.monotonic)
    versions: VersionCache = field(default_factory=VersionCache)
    beats: BeatBuffer = field(default_factory=BeatBuffer)
    commands: CommandCache = field(default_factory=CommandCache)


def install_fleet(
    app: Any, data_dir: Any, heartbeat_interval: int | None = None, limiter: LoginLimiter | None = None
) -> FleetState:
    """Create the fleet state explicitly (tests, embedded server); otherwise done on first request."""
    interval = heartbeat_interval or int(
        os.environ.get("RENSHE_HEARTBEAT_INTERVAL", service.DEFAULT_HEARTBEAT_INTERVAL)
    )
    state = FleetState(
        key=load_or_create_key(data_dir),
        heartbeat_interval=interval,
        limiter=limiter or LoginLimiter(),
        secure_cookies=os.environ.get("RENSHE_SECURE_COOKIES", "") == "1",
    )
    app.state.fleet = state
    return state


def get_fleet(request: Request, ctx: GatewayContext = Depends(get_ctx)) -> FleetState:
    state = getattr(request.app.state, "fleet", None)
    if state is None:
        with _state_lock:
            state = getattr(request.app.state, "fleet", None) or install_fleet(request.app, ctx.settings.data_dir)
    return state


def flush_beats(db: Any, fleet: FleetState) -> None:
    """Write buffered heartbeats before a page reads terminal state."""
    if fleet.beats.flush(db):
        db.commit()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""
