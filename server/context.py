"""The per-app context handlers reach through ``request.app.state.ctx`` (no globals)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from server.auth import terminal_for_token
from server.middleware import FaultState
from server.models import Terminal
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


def get_ctx(request: Request) -> GatewayContext:
    return request.app.state.ctx


def get_db(ctx: GatewayContext = Depends(get_ctx)) -> Iterator[Session]:
    with ctx.sessions() as db:
        yield db


_bearer = HTTPBearer(auto_error=False, description="Terminal token from /api/v1/terminals/enroll")


def get_terminal(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer), db: Session = Depends(get_db)
) -> Terminal:
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    terminal = terminal_for_token(db, header)
    db.commit()  # end the read transaction: hand the connection back before the handler's own work
    return terminal
