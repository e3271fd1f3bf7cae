"""Fleet endpoints: the terminal side under ``/api/v1/terminal`` and the staff console under ``/console``.

Mounted by the gateway with ``app.include_router(server.fleet.router.router)``. Handlers reach the
database through ``server.context.get_db`` and the fleet's own state (signing key, heartbeat
interval, login limiter, caches) through ``get_fleet``, created on first use from the gateway settings.
Heartbeat and config are ``async`` and answer from memory (see ``server.fleet.heartbeats``); they
go to a worker thread only for the database work that is due.

Terminal protocol (bearer token as for the rest of the terminal API):
- ``GET  /api/v1/terminal/server-key``: the Ed25519 public key to pin right after enrolment.
- ``GET  /api/v1/terminal/config?since=V``: 304 when ``V`` (or ``If-None-Match``) is current,
  else the signed bundle with an ``ETag``.
- ``POST /api/v1/terminal/heartbeat``: state report; the answer tells the current config version,
  how many commands wait and the heartbeat interval, so a change reaches a terminal within one beat.
- ``GET  /api/v1/terminal/commands`` then ``POST /api/v1/terminal/commands/{id}/ack``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from common.bundles import key_id, public_key_b64, public_key_raw, sign_bundle
from common.errors import ConfigError
from common.fleet_protocol import HeartbeatPayload
from server.auth import token_hash_of
from server.context import GatewayContext, get_ctx, get_db, get_terminal
from server.errors import TERMINAL_ERROR_RESPONSES, ApiError
from server.fleet import service
from server.fleet.console import console_router
from server.fleet.directory import Caller
from server.fleet.models import FleetCommand
from server.fleet.release_router import release_router
from server.fleet.state import FleetState, client_ip, get_fleet, install_fleet
from server.models import Terminal

logger = logging.getLogger(__name__)


def active_terminal(terminal: Terminal = Depends(get_terminal), db: Session = Depends(get_db)) -> Terminal:
    """The calling terminal, refused when staff revoked it."""
    if service.is_revoked(db, terminal.id):
        raise ApiError(401, "terminal_revoked", "终端凭证已被吊销", "This terminal's credential was revoked")
    return terminal


class HeartbeatOut(BaseModel):
    interval: int
    config_version: int
    commands_pending: int


class CommandOut(BaseModel):
    id: int
    kind: str
    created_at: str


class CommandsOut(BaseModel):
    commands: list[CommandOut]


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ok: bool
    result: str = Field(default="", max_length=500)


class ServerKeyOut(BaseModel):
    algorithm: str
    public_key: str
    key_id: str


terminal_router = APIRouter(prefix="/api/v1/terminal", tags=["fleet"], responses=TERMINAL_ERROR_RESPONSES)


@terminal_router.get("/server-key", response_model=ServerKeyOut)
def server_key(
    terminal: Terminal = Depends(active_terminal), db: Session = Depends(get_db), fleet: FleetState = Depends(get_fleet)
) -> ServerKeyOut:
    """The fleet manager's Ed25519 public key; the terminal pins it right after enrolment."""
    row = service.fleet_row(db, terminal.id)
    row.key_pin = hashlib.sha256(public_key_raw(fleet.key)).hexdigest()
    db.commit()
    return ServerKeyOut(algorithm="Ed25519", public_key=public_key_b64(fleet.key), key_id=key_id(fleet.key))


async def _caller(request: Request, fleet: FleetState, ctx: GatewayContext) -> Caller:
    """The calling terminal from memory (``TerminalDirectory``); a worker thread asks the database
    only when a cache is due or the token is new to this process."""
    token_hash = token_hash_of(request.headers.get("authorization"))
    if fleet.refresh_due():
        await run_in_threadpool(fleet.refresh, ctx)
    caller = fleet.directory.get(token_hash)
    if caller is None:
        caller = await run_in_threadpool(_lookup, ctx, fleet, token_hash)
    return caller


def _lookup(ctx: GatewayContext, fleet: FleetState, token_hash: str) -> Caller:
    with ctx.sessions() as db:
        return fleet.directory.lookup(db, token_hash)


def _merged(
    ctx: GatewayContext, fleet: FleetState, layers: tuple[tuple[str, int], ...]
) -> tuple[dict[str, Any], dict[str, str]]:
    with ctx.sessions() as db:
        return fleet.versions.merged(db, layers)


@terminal_router.get("/config", responses={304: {"description": "The terminal's version is current"}})
async def terminal_config(
    request: Request,
    since: int | None = Query(default=None, ge=-1, le=2**62),
    if_none_match: str | None = Header(default=None),
    fleet: FleetState = Depends(get_fleet),
    ctx: GatewayContext = Depends(get_ctx),
) -> Response:
    """The signed effective config, or 304 when ``since``/``If-None-Match`` already names this version.

    The merged config of each layer stack is cached (``VersionCache``), so after a change the
    whole fleet fetching its bundle costs one merge + validation per distinct stack, then a
    signature per terminal; the rest is in memory (``async``, no thread-pool hop)."""
    who = await _caller(request, fleet, ctx)
    layers = fleet.versions.current_layers(who)
    version = max([rev for _label, rev in layers] + [who.config_floor])
    etag = f'"cfg-{version}"'
    if (since is not None and since >= version) or (if_none_match is not None and if_none_match == etag):
        return Response(status_code=304, headers={"ETag": etag})
    try:
        merged = fleet.versions.cached_merged(layers) or await run_in_threadpool(_merged, ctx, fleet, layers)
    except ConfigError as exc:
        logger.error("effective config invalid", extra={"terminal_id": who.id, "detail": exc.detail})
        raise ApiError(
            409, "config_invalid", "终端配置无效，请联系管理员", "The terminal's effective config is invalid"
        ) from exc
    config, origin = merged
    bundle = {
        "version": version,
        "terminal_id": who.id,
        "issued_at": service.utcnow().replace(microsecond=0).isoformat(),
        "config": config,
        "origin": origin,
    }
    return Response(
        json.dumps(sign_bundle(fleet.key, bundle), ensure_ascii=False),
        media_type="application/json",
        headers={"ETag": etag, "Cache-Control": "no-cache"},
    )


@terminal_router.post("/heartbeat", response_model=HeartbeatOut)
async def heartbeat(body: HeartbeatPayload, request: Request) -> Response:
    """Buffer the terminal's state (latest + sampled history, written about once a second); answer
    what it should fetch next. Everything per beat is in memory: no statement, no thread-pool hop
    (and no dependencies to solve: each costs FastAPI more than the attribute look-up it wraps)."""
    fleet = await get_fleet(request)
    ctx: GatewayContext = request.app.state.ctx
    who = await _caller(request, fleet, ctx)
    fleet.beats.add(who.id, body.model_dump(), client_ip(request), service.utcnow())
    if fleet.flush_due():
        await run_in_threadpool(fleet.flush, ctx)
    answer = {
        "interval": fleet.heartbeat_interval,
        "config_version": fleet.versions.current_version(who),
        "commands_pending": fleet.commands.count(who.id),
    }
    # Serialised by hand: the documented model is HeartbeatOut; skipping its re-validation saves
    # a noticeable share of the per-beat CPU at thousands of terminals.
    return Response(json.dumps(answer), media_type="application/json")


@terminal_router.get("/commands", response_model=CommandsOut)
def commands(terminal: Terminal = Depends(active_terminal), db: Session = Depends(get_db)) -> CommandsOut:
    """Commands not yet acknowledged, oldest first; marks them delivered (redelivered until acked)."""
    rows = list(
        db.scalars(
            select(FleetCommand)
            .where(FleetCommand.terminal_id == terminal.id, FleetCommand.state.in_(("queued", "delivered")))
            .order_by(FleetCommand.id)
            .limit(20)
        )
    )
    now = service.utcnow()
    for row in rows:
        if row.state == "queued":
            row.state = "delivered"
            row.delivered_at = now
    db.commit()  # delivered commands still count as pending (until acked): the cache stays right
    return CommandsOut(
        commands=[CommandOut(id=r.id, kind=r.kind, created_at=service.as_utc(r.created_at).isoformat()) for r in rows]
    )


# Ids are the database's 32-bit INTEGER: a larger one overflowed the driver (a 500), so it is a 422.
CommandIdPath = Path(ge=1, le=2**31 - 1)


@terminal_router.post("/commands/{command_id}/ack", response_model=CommandOut)
def ack_command(
    command_id: Annotated[int, CommandIdPath],
    body: AckIn,
    request: Request,
    terminal: Terminal = Depends(active_terminal),
    db: Session = Depends(get_db),
    fleet: FleetState = Depends(get_fleet),
) -> CommandOut:
    """Record the terminal's result. Acknowledging twice is harmless."""
    row = db.get(FleetCommand, command_id)
    if row is None or row.terminal_id != terminal.id:
        raise ApiError(404, "command_not_found", "指令不存在", "No such command for this terminal")
    if row.state in ("queued", "delivered"):
        row.state = "acknowledged" if body.ok else "failed"
        row.acked_at = service.utcnow()
        row.result = body.result
        service.audit(
            db,
            f"terminal:{terminal.id}",
            "command_ack",
            terminal.id,
            f"#{row.id} {row.kind} {'ok' if body.ok else 'failed'} {body.result}"[:500],
            client_ip(request),
        )
        db.commit()
        fleet.commands.invalidate()
    return CommandOut(id=row.id, kind=row.kind, created_at=service.as_utc(row.created_at).isoformat())


router = APIRouter()
router.include_router(terminal_router)
router.include_router(release_router)  # software updates (server.fleet.release_router)
router.include_router(console_router)
is_revoked = service.is_revoked
__all__ = ["router", "is_revoked", "install_fleet", "FleetState"]
