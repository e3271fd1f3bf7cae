"""The fleet channel's shared vocabulary: the heartbeat a terminal sends and the commands staff queue.

``HeartbeatPayload`` is the one schema of a heartbeat: the fleet manager validates every beat with
it (``POST /api/v1/terminal/heartbeat``; unknown keys are refused) and the terminal's
``kiosk.heartbeat.HeartbeatBuilder`` cuts its texts to the limits below, so a beat is never refused
for a long error text. Counts and statuses only: no resident data fits in it.

``COMMAND_KINDS`` are the commands staff may queue (``server.fleet``) and a terminal runs
(``kiosk.fleet_client``: its agent handles ``refresh_config``, its dispatcher the others).
"""

from __future__ import annotations

import logging
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

logger = logging.getLogger(__name__)

MAX_APP_VERSION_CHARS = 32
MAX_DEVICES = 8
MAX_STATUS_CHARS = 32
MAX_DETAIL_CHARS = 200
MAX_ERROR_CHARS = 200
MAX_SESSIONS = 1_000_000  # per beat, and the same bound for printouts
MAX_PRINT_QUEUE = 10_000

PaperState = Literal["ok", "near_end", "out", "unknown"]
PAPER_STATES: tuple[str, ...] = get_args(PaperState)

COMMAND_KINDS = (
    "maintenance_on",
    "maintenance_off",
    "restart_app",
    "print_test_page",
    "refresh_config",
    "clear_print_queue",
    "reprint_pending",
)


class DeviceStatus(BaseModel):
    """One device's state in a heartbeat (``paper`` for printers only)."""

    model_config = ConfigDict(extra="forbid")
    status: str = Field(max_length=MAX_STATUS_CHARS, description="ok, offline, error, busy, ...")
    detail: str = Field(default="", max_length=MAX_DETAIL_CHARS)
    paper: PaperState | None = None


class HeartbeatPayload(BaseModel):
    """What a terminal reports; no resident data can fit in it."""

    model_config = ConfigDict(extra="forbid")
    app_version: str = Field(max_length=MAX_APP_VERSION_CHARS)
    uptime_seconds: float = Field(ge=0)
    config_version: int | None = Field(default=None, ge=0)
    devices: dict[str, DeviceStatus] = Field(default_factory=dict, max_length=MAX_DEVICES)
    last_error: str | None = Field(default=None, max_length=MAX_ERROR_CHARS)
    sessions: int = Field(default=0, ge=0, le=MAX_SESSIONS)
    prints: int = Field(default=0, ge=0, le=MAX_SESSIONS)
    print_queue: int = Field(default=0, ge=0, le=MAX_PRINT_QUEUE)
    maintenance: bool = False
