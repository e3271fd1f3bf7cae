"""The heartbeat hot path: thousands of terminals beat every N seconds, so this is plain SQL.

Per beat: one SELECT (token → terminal + fleet row, which also refuses a revoked terminal) and one
COUNT of waiting commands; the latest state and history samples go through ``BeatBuffer`` and
are written for all terminals together about once a second. The config version comes from ``VersionCache``: the newest revision per
profile scope, reloaded only when the fleet-wide newest revision changes (checked at most once a
second), so a config change is visible to heartbeats within a second without a query per beat.

History is sampled: a row is written when something a staff member cares about changed (device
statuses, paper, last error, config version, maintenance, app version) or ``HISTORY_EVERY`` has
passed; sessions and prints are accumulated between rows so none are lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from kiosk.errors import ConfigError
from server.auth import hash_secret
from server.errors import ApiError
from server.fleet.models import ConfigProfile, FleetCommand, FleetTerminal, Heartbeat
from server.models import Terminal

logger = logging.getLogger(__name__)

HISTORY_EVERY = dt.timedelta(minutes=10)
_T = Terminal.__table__
_F = FleetTerminal.__table__
_C = FleetCommand.__table__
_H = Heartbeat.__table__
_P = ConfigProfile.__table__


def authenticate(db: Session, authorization: str | None) -> Row[Any]:
    """Terminal + fleet columns for a bearer token; 401 for a missing, unknown or revoked one."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "终端未认证", "Missing terminal credentials")
    row = db.execute(
        select(
            _T.c.id,
            _T.c.region,
            _F.c.terminal_id.label("fleet_id"),
            _F.c.site,
            _F.c.revoked_at,
            _F.c.config_floor,
            _F.c.last_state,
            _F.c.history_at,
            _F.c.acc_sessions,
            _F.c.acc_prints,
        )
        .select_from(_T.outerjoin(_F, _F.c.terminal_id == _T.c.id))
        .where(_T.c.token_hash == hash_secret(token.strip()))
    ).first()
    if row is None:
        raise ApiError(401, "invalid_token", "终端凭证无效", "Invalid terminal credentials")
    if row.revoked_at is not None:
        raise ApiError(401, "terminal_revoked", "终端凭证已被吊销", "This terminal's credential was revoked")
    return row


def _signature(state: dict[str, Any] | None) -> tuple[Any, ...]:
    if not state:
        return ()
    devices = tuple(sorted((name, d.get("status"), d.get("paper")) for name, d in (state.get("devices") or {}).items()))
    return (
        devices,
        state.get("last_error"),
        state.get("config_version"),
        state.get("maintenance"),
        state.get("app_version"),
    )


def _as_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass
class _Pending:
    who: Row[Any]
    payload: dict[str, Any]
    ip: str
    at: dt.datetime
    acc_sessions: int
    acc_prints: int
    history_at: dt.datetime | None
    history: list[tuple[dt.datetime, dict[str, Any]]] = field(default_factory=list)


class BeatBuffer:
    """Write-behind of heartbeats: beats are merged in memory and written in one transaction at
    most every ``flush_every`` seconds (by whichever request finds the buffer due, or by a console
    page before it reads). At 5 000 terminals this turns ~170 small write transactions a second
    into one. A crash loses at most ``flush_every`` seconds of telemetry, never a command or config."""

    def __init__(self, flush_every: float = 1.0) -> None:
        self.flush_every = flush_every
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._last_flush = time.monotonic()

    def add(self, who: Row[Any], payload: dict[str, Any], ip: str, now: dt.datetime) -> None:
        with self._lock:
            prev = self._pending.get(who.id)
            acc_s = (prev.acc_sessions if prev else (who.acc_sessions or 0)) + payload["sessions"]
            acc_p = (prev.acc_prints if prev else (who.acc_prints or 0)) + payload["prints"]
            hist_at = prev.history_at if prev else _as_utc(who.history_at)
            last_state = prev.payload if prev else who.last_state
            history = prev.history if prev else []
            if hist_at is None or now - hist_at >= HISTORY_EVERY or _signature(last_state) != _signature(payload):
                history.append((now, {**payload, "sessions": acc_s, "prints": acc_p}))
                acc_s = acc_p = 0
                hist_at = now
            self._pending[who.id] = _Pending(who, payload, ip[:64], now, acc_s, acc_p, hist_at, history)

    def due(self) -> bool:
        return bool(self._pending) and time.monotonic() - self._last_flush >= self.flush_every

    def flush(self, db: Session) -> int:
        """Write everything buffered (caller commits). Returns the number of terminals written."""
        with self._flush_lock:
            with self._lock:
                items, self._pending = self._pending, {}
                self._last_flush = time.monotonic()
            if not items:
                return 0
            new_ids = [tid for tid, p in items.items() if p.who.fleet_id is None]
            if new_ids:
                existing = set(db.execute(select(_F.c.terminal_id).where(_F.c.terminal_id.in_(new_ids))).scalars())
                fresh = [tid for tid in new_ids if tid not in existing]
                if fresh:
                    db.execute(
                        insert(_F),
                        [
                            {
                                "terminal_id": tid,
                                "site": "",
                                "address": "",
                                "config_floor": 0,
                                "acc_sessions": 0,
                                "acc_prints": 0,
                            }
                            for tid in fresh
                        ],
                    )
            db.execute(
                update(_F)
                .where(_F.c.terminal_id == bindparam("b_id"))
                .values(
                    last_seen_at=bindparam("b_at"),
                    last_ip=bindparam("b_ip"),
                    last_state=bindparam("b_state"),
                    config_version_applied=bindparam("b_cfg"),
                    history_at=bindparam("b_hist"),
                    acc_sessions=bindparam("b_s"),
                    acc_prints=bindparam("b_p"),
                ),
                [
                    {
                        "b_id": tid,
                        "b_at": p.at,
                        "b_ip": p.ip,
                        "b_state": p.payload,
                        "b_cfg": p.payload.get("config_version"),
                        "b_hist": p.history_at,
                        "b_s": p.acc_sessions,
                        "b_p": p.acc_prints,
                    }
                    for tid, p in items.items()
                ],
            )
            rows = [
                {"terminal_id": tid, "received_at": at, "payload": payload}
                for tid, p in items.items()
                for at, payload in p.history
            ]
            if rows:
                db.execute(insert(_H), rows)
            return len(items)


class CommandCache:
    """Waiting-command counts per terminal, reloaded at most every ``check_every`` seconds (one
    GROUP BY for the whole fleet instead of a COUNT per beat). Queuing, delivering or acknowledging
    through this process invalidates it; another worker's changes show within ``check_every``."""

    def __init__(self, check_every: float = 1.0) -> None:
        self.check_every = check_every
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._counts: dict[str, int] = {}

    def pending(self, db: Session, terminal_id: str) -> int:
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= self.check_every:
                rows = db.execute(
                    select(_C.c.terminal_id, func.count())
                    .where(_C.c.state.in_(("queued", "delivered")))
                    .group_by(_C.c.terminal_id)
                ).all()
                self._counts = {tid: n for tid, n in rows}
                self._checked = now
            return self._counts.get(terminal_id, 0)

    def invalidate(self) -> None:
        with self._lock:
            self._checked = float("-inf")


class VersionCache:
    """Newest profile revision per (scope, key), refreshed when the fleet-wide newest changes, and
    the merged + validated config of each distinct stack of layers (most terminals share a few)."""

    def __init__(self, check_every: float = 1.0) -> None:
        self.check_every = check_every
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._newest: int | None = None
        self._by_scope: dict[tuple[str, str], int] = {}
        self._merged: dict[tuple[tuple[str, int], ...], tuple[dict[str, Any], dict[str, str]]] = {}

    def _refresh(self, db: Session) -> dict[tuple[str, str], int]:
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= self.check_every:
                newest = db.execute(select(func.max(_P.c.id))).scalar() or 0
                if newest != self._newest:
                    rows = db.execute(
                        select(_P.c.scope, _P.c.scope_key, func.max(_P.c.id)).group_by(_P.c.scope, _P.c.scope_key)
                    ).all()
                    self._by_scope = {(scope, key): rev for scope, key, rev in rows}
                    self._merged = {}
                    self._newest = newest
                self._checked = now
            return self._by_scope

    def layers(self, db: Session, terminal_id: str, region: str, site: str | None) -> tuple[tuple[str, int], ...]:
        """(label, revision) of the terminal's existing layers, lowest precedence first."""
        by_scope = self._refresh(db)
        wanted = [("global", ""), ("region", region)]
        if site:
            wanted.append(("site", f"{region}/{site}"))
        wanted.append(("terminal", terminal_id))
        return tuple(
            (scope if scope == "global" else f"{scope}:{key}", by_scope[(scope, key)])
            for scope, key in wanted
            if (scope, key) in by_scope
        )

    def version(self, db: Session, terminal_id: str, region: str, site: str | None, floor: int | None) -> int:
        return max([rev for _label, rev in self.layers(db, terminal_id, region, site)] + [floor or 0])

    def merged(self, db: Session, layers: tuple[tuple[str, int], ...]) -> tuple[dict[str, Any], dict[str, str]]:
        """(config overlay, origin per dotted key) of a layer stack; ConfigError if the kiosk would refuse it."""
        cached = self._merged.get(layers)
        if cached is not None:
            return cached
        from server.fleet.profiles import flatten, merge, validate_values

        config: dict[str, Any] = {}
        origin: dict[str, str] = {}
        for label, rev in layers:
            values = db.execute(select(_P.c["values"]).where(_P.c.id == rev)).scalar_one()
            config = merge(config, values)
            origin.update({key: label for key in flatten(values)})
        errors = validate_values(config)
        if errors:
            raise ConfigError("; ".join(f"{k}: {v}" for k, v in errors.items()))
        with self._lock:
            if len(self._merged) > 10_000:
                self._merged = {}
            self._merged[layers] = (config, origin)
        return config, origin

    def invalidate(self) -> None:
        """Forget the check time: the next beat reloads (the console calls this after a save)."""
        with self._lock:
            self._checked = float("-inf")
