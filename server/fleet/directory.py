"""Who is calling: bearer token → terminal, from memory on the hot path.

``TerminalDirectory`` holds every active terminal (token hash → ``Caller``), so a heartbeat needs no
database statement to know who sent it. It stays right across worker processes by a fingerprint
checked at most every ``check_every`` seconds: every change that matters to a caller goes through
``server.auth.create_terminal`` (token cleared: region, site and floor change only there),
``server.auth.enroll`` (``enrolled_at`` set) or a revocation (token cleared, ``revoked_at`` set), and
each of those moves one of the fingerprint's counts or maxima. When it moves, the directory is
reloaded in one statement. A token not in the directory is looked up in the database (a terminal
enrolled through another worker since the last check) and, when unknown there too, remembered as
refused until the next reload. So a revocation in another process is honoured within
``check_every``; in this process the console's revocation invalidates at once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from server.auth import invalid_token
from server.errors import ApiError
from server.fleet.models import FleetTerminal
from server.models import Terminal

logger = logging.getLogger(__name__)

_T = Terminal.__table__
_F = FleetTerminal.__table__
_MAX_REFUSED = 10_000

# Built once: the statement objects (and their compiled form in SQLAlchemy's cache) are reused.
_CALLER_COLUMNS = (_T.c.token_hash, _T.c.id, _T.c.region, _F.c.site, _F.c.config_floor, _F.c.revoked_at)
_JOINED = _T.outerjoin(_F, _F.c.terminal_id == _T.c.id)
_BY_TOKEN = select(*_CALLER_COLUMNS).select_from(_JOINED).where(_T.c.token_hash == bindparam("token_hash"))
_ALL_ACTIVE = (
    select(*_CALLER_COLUMNS).select_from(_JOINED).where(_T.c.token_hash.is_not(None), _F.c.revoked_at.is_(None))
)
_FINGERPRINT = select(
    func.count(),
    func.count(_T.c.token_hash),
    func.max(_T.c.enrolled_at),
    select(func.count(_F.c.revoked_at)).scalar_subquery(),
    select(func.max(_F.c.revoked_at)).scalar_subquery(),
    select(func.count()).select_from(_F).scalar_subquery(),
).select_from(_T)


@dataclass(frozen=True, slots=True)
class Caller:
    """The calling terminal, as the fleet endpoints need it."""

    id: str
    region: str
    site: str
    config_floor: int


def _revoked() -> ApiError:
    return ApiError(401, "terminal_revoked", "终端凭证已被吊销", "This terminal's credential was revoked")


def _caller(row: Any) -> Caller:
    return Caller(row.id, row.region, row.site or "", row.config_floor or 0)


class TerminalDirectory:
    """Token hash → ``Caller`` of every active terminal (see the module docstring). Thread-safe:
    readers see one complete dict or the next; only ``refresh``/``lookup`` (worker threads) write."""

    def __init__(self, check_every: float = 1.0) -> None:
        self.check_every = check_every
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._fingerprint: tuple[Any, ...] | None = None
        self._callers: dict[str, Caller] = {}
        self._refused: set[str] = set()

    def get(self, token_hash: str) -> Caller | None:
        """From memory: the caller, or None when the database must be asked (``lookup``).
        Raises 401 for a token the database already refused since the last reload."""
        caller = self._callers.get(token_hash)
        if caller is None and token_hash in self._refused:
            raise invalid_token()
        return caller

    def due(self) -> bool:
        return time.monotonic() - self._checked >= self.check_every

    def refresh(self, db: Session) -> bool:
        """Check the fingerprint and reload when it moved. Returns True when reloaded."""
        fingerprint = tuple(db.execute(_FINGERPRINT).one())
        with self._lock:
            self._checked = time.monotonic()
            if fingerprint == self._fingerprint:
                return False
        callers = {row.token_hash: _caller(row) for row in db.execute(_ALL_ACTIVE)}
        with self._lock:
            self._callers = callers
            self._refused = set()
            self._fingerprint = fingerprint
        logger.info("terminal directory loaded", extra={"terminals": len(callers)})
        return True

    def lookup(self, db: Session, token_hash: str) -> Caller:
        """A token the directory does not know: ask the database; 401 (and remembered) when unknown."""
        row = db.execute(_BY_TOKEN, {"token_hash": token_hash}).first()
        if row is None or row.revoked_at is not None:
            with self._lock:
                if len(self._refused) >= _MAX_REFUSED:  # bound memory under a spray of forged tokens
                    self._refused = set()
                self._refused.add(token_hash)
            raise invalid_token() if row is None else _revoked()
        caller = _caller(row)
        with self._lock:
            self._callers[token_hash] = caller
        return caller

    def invalidate(self) -> None:
        """Forget everything: the next request reloads (this process revoked or re-registered one)."""
        with self._lock:
            self._checked = float("-inf")
            self._fingerprint = None
