"""The per-app context handlers reach through ``request.app.state.ctx`` (no globals)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from server.auth import terminal_for_token_hash, token_hash_of
from server.card_keys import IssuerKeyStore
from server.db import ReadConnections
from server.middleware import FaultState
from server.models import Terminal
from server.replica import ReadRouter
from server.session_seen import LastSeenWriter
from server.settings import ServerSettings
from server.store.base import ResidentDataSource

logger = logging.getLogger(__name__)


@dataclass
class GatewayContext:
    settings: ServerSettings
    engine: Engine
    sessions: sessionmaker[Session]
    source: ResidentDataSource
    faults: FaultState
    reads: ReadConnections
    seen: LastSeenWriter
    card_keys: IssuerKeyStore  # the issuer master keys of the card proof (server.card_keys)
    # Where the hot resident reads go: the primary (``reads``) or a streaming replica (server.replica).
    router: ReadRouter | None = None


# Dependencies without I/O are ``async def``: FastAPI runs a plain ``def`` dependency in the thread
# pool, and each such hop costs more than the look-up it wraps.


async def get_ctx(request: Request) -> GatewayContext:
    return request.app.state.ctx


async def get_db(ctx: GatewayContext = Depends(get_ctx)) -> AsyncIterator[Session]:
    """A request's Session. It connects on first use (in the handler's thread), and handlers end
    their transactions, so closing it here gives back an idle connection without a round trip."""
    db = ctx.sessions()
    try:
        yield db
    finally:
        db.close()


_bearer = HTTPBearer(auto_error=False, description="Terminal token from /api/v1/terminals/enroll")


async def get_token_hash(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str:
    """The stored form of the caller's bearer token; 401 when there is none. Whether it belongs to
    a terminal is checked by the handler's first query (``server.api.open_session``)."""
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    return token_hash_of(header)


def get_terminal(token_hash: str = Depends(get_token_hash), db: Session = Depends(get_db)) -> Terminal:
    terminal = terminal_for_token_hash(db, token_hash)
    db.commit()  # end the read transaction: hand the connection back before the handler's own work
    return terminal
