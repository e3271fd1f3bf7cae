"""The terminal's side of software updates, under ``/api/v1/terminal`` (bearer token, like the rest):

- ``GET  /release``: the signed manifest of the release this terminal is offered (200), or 204.
- ``GET  /releases/{version}/artefact``: the artefact's bytes; honours ``Range: bytes=N-`` (206)
  so an interrupted download resumes where it stopped.
- ``POST /update-report``: one update step (``common.release.REPORT_STEPS``) with its reason;
  idempotent. A ``rolled_back`` or ``refused`` report halts the rollout (server.fleet.releases).

Everything comes from the database, so any gateway process of the fleet answers any terminal.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from server.context import GatewayContext, get_ctx, get_db, get_terminal
from server.errors import TERMINAL_ERROR_RESPONSES, ApiError
from server.fleet import releases, service
from server.fleet.state import FleetState, client_ip, get_fleet
from server.models import Terminal

logger = logging.getLogger(__name__)

release_router = APIRouter(prefix="/api/v1/terminal", tags=["fleet"], responses=TERMINAL_ERROR_RESPONSES)
VersionPath = Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,31}$")
STREAM_CHUNK = 1024 * 1024
RANGE = re.compile(r"^bytes=(\d{1,12})-$")


def active_terminal(terminal: Terminal = Depends(get_terminal), db: Session = Depends(get_db)) -> Terminal:
    """The calling terminal, refused when staff revoked it (as in server.fleet.router)."""
    if service.is_revoked(db, terminal.id):
        raise ApiError(401, "terminal_revoked", "终端凭证已被吊销", "This terminal's credential was revoked")
    return terminal


class UpdateReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,31}$")
    step: Literal["downloading", "verified", "installed", "switched", "healthy", "rolled_back", "refused"]
    reason: str = Field(default="", max_length=300)


class UpdateReportOut(BaseModel):
    recorded: bool
    rollout_halted: bool


@release_router.get("/release", responses={204: {"description": "No release is offered to this terminal"}})
def offered_release(
    terminal: Terminal = Depends(active_terminal), db: Session = Depends(get_db), fleet: FleetState = Depends(get_fleet)
) -> Response:
    """The signed manifest of the release offered to this terminal, or 204."""
    offered = releases.offered_release(db, terminal)
    if offered is None:
        return Response(status_code=204)
    _rollout, release = offered
    return Response(
        json.dumps(releases.signed_manifest(fleet.key, release), ensure_ascii=False),
        media_type="application/json",
        headers={"Cache-Control": "no-cache"},
    )


@release_router.get("/releases/{version}/artefact", responses={206: {"description": "The rest from the Range"}})
def release_artefact(
    version: Annotated[str, VersionPath],
    range_header: str | None = Header(default=None, alias="Range"),
    terminal: Terminal = Depends(active_terminal),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> Response:
    """The artefact's bytes (any published release: the terminal checks them against its manifest),
    streamed in chunks read one by one from the database."""
    length = releases.artefact_length(db, version)
    if length is None:
        raise ApiError(404, "release_not_found", "软件版本不存在", "No such release")
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store"}
    start, status = 0, 200
    match = RANGE.match(range_header or "")
    if match is not None:
        start, status = int(match.group(1)), 206
        if start >= length:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{length}", **headers})
        headers["Content-Range"] = f"bytes {start}-{length - 1}/{length}"
    headers["Content-Length"] = str(length - start)
    return StreamingResponse(
        _chunks(ctx, version, start, length), status_code=status, media_type="application/octet-stream", headers=headers
    )


def _chunks(ctx: GatewayContext, version: str, start: int, length: int) -> Iterator[bytes]:
    """The artefact from ``start`` in STREAM_CHUNK pieces, each read in a short session of its own."""
    offset = start
    while offset < length:
        with ctx.sessions() as db:
            chunk = releases.artefact_chunk(db, version, offset, STREAM_CHUNK)
        if not chunk:
            return
        yield chunk
        offset += len(chunk)


@release_router.post("/update-report", response_model=UpdateReportOut)
def update_report(
    body: UpdateReportIn,
    request: Request,
    terminal: Terminal = Depends(active_terminal),
    db: Session = Depends(get_db),
) -> UpdateReportOut:
    """Record one update step of this terminal; a rollback or refusal halts the rollout."""
    halted = releases.record_report(db, terminal, body.version, body.step, body.reason, client_ip(request))
    db.commit()
    logger.info("update report", extra={"terminal_id": terminal.id, "version": body.version, "step": body.step})
    return UpdateReportOut(recorded=True, rollout_halted=halted)
