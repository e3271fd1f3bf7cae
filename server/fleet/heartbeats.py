"""The heartbeat hot path: thousands of terminals beat every N seconds, so a beat touches no database.

Per beat, in memory: the caller from ``TerminalDirectory``, the beat appended to ``BeatBuffer``, the
config version from ``VersionCache`` and the waiting commands from ``CommandCache``. Once a second
(whichever request finds it due, in a worker thread) the buffer is written for all terminals in
one transaction, and the caches check the database for changes with one small statement each.

History is sampled: a row is written when something a staff member cares about changed (device
statuses, paper, last error, config version, maintenance, app version) or ``HISTORY_EVERY`` has
passed; sessions and prints are accumulated between rows so none are lost. The decision is taken
when the buffer is written, against the terminal's state *in the database*, so it holds when
several worker processes share the fleet (a terminal's beats may reach any of them).

A flush the database refuses (outage, lock timeout, a race with another worker) loses nothing: its
beats go back into the buffer, merged with those that arrived meanwhile, and the next flush writes
them; the request that triggered it is answered as usual. The buffer holds at most
``_MAX_BEATS_PER_TERMINAL`` beats per terminal: beyond that the oldest two are folded into one
(the newer state, both counts), so a long outage costs memory per terminal, not per beat.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from common.errors import ConfigError
from server.fleet.directory import Caller
from server.fleet.models import ConfigProfile, FleetCommand, FleetTerminal, Heartbeat

logger = logging.getLogger(__name__)

HISTORY_EVERY = dt.timedelta(minutes=10)
_BATCH = 500  # terminals per SELECT ... IN (...) of a flush
# Beats kept per terminal between flushes; more are folded (counts kept, intermediate states
# dropped). One flush a second sees one or two beats per terminal, so this only binds when a
# terminal beats in a loop or the database is away.
_MAX_BEATS_PER_TERMINAL = 4
_F = FleetTerminal.__table__
_C = FleetCommand.__table__
_H = Heartbeat.__table__
_P = ConfigProfile.__table__

# Locked (PostgreSQL) in a fixed order: the accumulators are read, added to and written back, and
# two workers flushing the same terminal must not both add to the same old value.
_STATE_OF = (
    select(
        _F.c.terminal_id,
        _F.c.last_seen_at,
        _F.c.last_ip,
        _F.c.last_state,
        _F.c.config_version_applied,
        _F.c.history_at,
        _F.c.acc_sessions,
        _F.c.acc_prints,
    )
    .where(_F.c.terminal_id.in_(bindparam("ids", expanding=True)))
    .order_by(_F.c.terminal_id)
    .with_for_update()
)
_WRITE_STATE = (
    update(_F)
    .where(_F.c.terminal_id == bindparam("b_id"), _F.c.revoked_at.is_(None))
    .values(
        last_seen_at=bindparam("b_at"),
        last_ip=bindparam("b_ip"),
        last_state=bindparam("b_state"),
        config_version_applied=bindparam("b_cfg"),
        history_at=bindparam("b_hist"),
        acc_sessions=bindparam("b_s"),
        acc_prints=bindparam("b_p"),
    )
)
_PENDING_COUNTS = (
    select(_C.c.terminal_id, func.count()).where(_C.c.state.in_(("queued", "delivered"))).group_by(_C.c.terminal_id)
)
_NEWEST_PROFILE = select(func.max(_P.c.id))
_NEWEST_PER_SCOPE = select(_P.c.scope, _P.c.scope_key, func.max(_P.c.id)).group_by(_P.c.scope, _P.c.scope_key)
_PROFILE_VALUES = select(_P.c["values"]).where(_P.c.id == bindparam("rev"))


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


Beat = tuple[dt.datetime, dict[str, Any], str]  # (received at, payload, client address)


def _fold_oldest(beats: list[Beat]) -> None:
    """Merge the two oldest beats into one: the newer's time, state and address, and the sum of
    both's sessions and prints (they are counts since the previous beat, so nothing is lost)."""
    (_at, old, _ip), (at, new, ip) = beats[0], beats[1]
    merged = {**new, "sessions": old["sessions"] + new["sessions"], "prints": old["prints"] + new["prints"]}
    beats[0:2] = [(at, merged, ip)]


class BeatBuffer:
    """Write-behind of heartbeats: beats wait in memory and are written in one transaction at most
    every ``flush_every`` seconds (by whichever request finds the buffer due, or by a console page
    before it reads). At 5 000 terminals this turns ~170 statements a second into three. A crash
    loses at most ``flush_every`` seconds of telemetry, never a command or config; a database
    that refuses a flush loses nothing (the beats wait for the next one)."""

    def __init__(self, flush_every: float = 1.0) -> None:
        self.flush_every = flush_every
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: dict[str, list[Beat]] = {}
        self._last_flush = time.monotonic()
        # Flushes refused in a row (0 after a successful one); for the logs and health checks.
        self.failures = 0

    def add(self, terminal_id: str, payload: dict[str, Any], ip: str, now: dt.datetime) -> None:
        with self._lock:
            beats = self._pending.setdefault(terminal_id, [])
            beats.append((now, payload, ip[:64]))
            if len(beats) > _MAX_BEATS_PER_TERMINAL:  # a terminal beating in a loop cannot grow memory
                _fold_oldest(beats)

    def due(self) -> bool:
        return bool(self._pending) and time.monotonic() - self._last_flush >= self.flush_every

    def pending(self) -> dict[str, int]:
        """Beats waiting per terminal (a copy; for tests and health pages)."""
        with self._lock:
            return {tid: len(beats) for tid, beats in self._pending.items()}

    def flush(self, db: Session) -> int:
        """Write everything buffered in one transaction and commit it; returns the number of
        terminals written. When the database refuses (a statement or the commit raises a
        ``SQLAlchemyError``) the transaction is rolled back, the beats are put back for the next
        flush, a warning is logged and 0 is returned: callers answer their request as usual.

        ``db`` must have no other pending work: it is committed or rolled back here."""
        with self._flush_lock:
            with self._lock:
                items, self._pending = self._pending, {}
                self._last_flush = time.monotonic()
            if not items:
                return 0
            try:
                self._write(db, items)
                db.commit()
            except SQLAlchemyError as exc:
                self._rollback(db)
                self._restore(items)
                self.failures += 1
                # The exception's text carries the statement's parameters: only its class is logged.
                logger.warning(
                    "heartbeat flush refused by the database; beats kept for the next flush",
                    extra={"terminals": len(items), "error": type(exc).__name__, "failures_in_a_row": self.failures},
                )
                return 0
            if self.failures:
                logger.info("heartbeat flush succeeded again", extra={"failures_in_a_row": self.failures})
            self.failures = 0
            return len(items)

    @staticmethod
    def _rollback(db: Session) -> None:
        try:
            db.rollback()
        except SQLAlchemyError as exc:
            # A lost connection can fail its rollback too; the pool discards the connection either
            # way, so the flush's own failure is what matters.
            logger.debug("rollback after a refused flush failed as well", extra={"error": type(exc).__name__})

    def _restore(self, items: dict[str, list[Beat]]) -> None:
        """Put a refused flush's beats back in front of those that arrived meanwhile. The beats are
        the terminals' own reports, untouched (the flush's sums went away with its rollback), so the
        retry counts each session and print exactly once; the newest beat stays last, so it wins."""
        with self._lock:
            for tid, old in items.items():
                beats = old + self._pending.get(tid, [])
                beats.sort(key=lambda beat: beat[0])  # stable: equal times keep arrival order
                while len(beats) > _MAX_BEATS_PER_TERMINAL:
                    _fold_oldest(beats)
                self._pending[tid] = beats

    def _write(self, db: Session, items: dict[str, list[Beat]]) -> None:
        """The flush's statements (no commit)."""
        ids = sorted(items)
        known: dict[str, Any] = {}
        for start in range(0, len(ids), _BATCH):
            for row in db.execute(_STATE_OF, {"ids": ids[start : start + _BATCH]}):
                known[row.terminal_id] = row
        fresh = [tid for tid in ids if tid not in known]
        if fresh:
            # Terminals made by the bare gateway CLI have no fleet row until their first beat.
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
        states: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for tid, beats in items.items():
            row = known.get(tid)
            last = row.last_state if row is not None else None
            hist_at = _as_utc(row.history_at) if row is not None else None
            acc_s = (row.acc_sessions or 0) if row is not None else 0
            acc_p = (row.acc_prints or 0) if row is not None else 0
            for at, payload, _ip in beats:
                acc_s += payload["sessions"]
                acc_p += payload["prints"]
                if hist_at is None or at - hist_at >= HISTORY_EVERY or _signature(last) != _signature(payload):
                    history.append(
                        {
                            "terminal_id": tid,
                            "received_at": at,
                            "payload": {**payload, "sessions": acc_s, "prints": acc_p},
                        }
                    )
                    acc_s = acc_p = 0
                    hist_at = at
                last = payload
            at, payload, ip = beats[-1]
            seen = _as_utc(row.last_seen_at) if row is not None else None
            if seen is not None and seen > at:
                # Beats kept through a refused flush, while another worker already stored a newer
                # one: their counts are added, the newer state stays.
                at, ip, payload, cfg = seen, row.last_ip, row.last_state, row.config_version_applied
                stored_hist = _as_utc(row.history_at)
                if stored_hist is not None and (hist_at is None or stored_hist > hist_at):
                    hist_at = stored_hist
            else:
                cfg = payload.get("config_version")
            states.append(
                {
                    "b_id": tid,
                    "b_at": at,
                    "b_ip": ip,
                    "b_state": payload,
                    "b_cfg": cfg,
                    "b_hist": hist_at,
                    "b_s": acc_s,
                    "b_p": acc_p,
                }
            )
        db.execute(_WRITE_STATE, states)
        if history:
            db.execute(insert(_H), history)


class CommandCache:
    """Waiting-command counts per terminal, reloaded at most every ``check_every`` seconds (one
    GROUP BY for the whole fleet instead of a COUNT per beat). Queuing, delivering or acknowledging
    through this process invalidates it; another worker's changes show within ``check_every``."""

    def __init__(self, check_every: float = 1.0) -> None:
        self.check_every = check_every
        self._checked = float("-inf")
        self._counts: dict[str, int] = {}

    def due(self) -> bool:
        return time.monotonic() - self._checked >= self.check_every

    def refresh(self, db: Session) -> None:
        checked = time.monotonic()
        self._counts = {tid: n for tid, n in db.execute(_PENDING_COUNTS).all()}
        self._checked = checked

    def count(self, terminal_id: str) -> int:
        """From memory, as of the last refresh."""
        return self._counts.get(terminal_id, 0)

    def pending(self, db: Session, terminal_id: str) -> int:
        if self.due():
            self.refresh(db)
        return self.count(terminal_id)

    def invalidate(self) -> None:
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

    def due(self) -> bool:
        return time.monotonic() - self._checked >= self.check_every

    def refresh(self, db: Session) -> None:
        """One ``max(id)``; the per-scope newest are reloaded only when it moved."""
        newest = db.execute(_NEWEST_PROFILE).scalar() or 0
        with self._lock:
            if newest != self._newest:
                self._by_scope = {(scope, key): rev for scope, key, rev in db.execute(_NEWEST_PER_SCOPE).all()}
                self._merged = {}
                self._newest = newest
            self._checked = time.monotonic()

    def current_layers(self, caller: Caller) -> tuple[tuple[str, int], ...]:
        """(label, revision) of the caller's existing layers, lowest precedence first; from memory."""
        by_scope = self._by_scope
        wanted = [("global", ""), ("region", caller.region)]
        if caller.site:
            wanted.append(("site", f"{caller.region}/{caller.site}"))
        wanted.append(("terminal", caller.id))
        return tuple(
            (scope if scope == "global" else f"{scope}:{key}", by_scope[(scope, key)])
            for scope, key in wanted
            if (scope, key) in by_scope
        )

    def current_version(self, caller: Caller) -> int:
        return max([rev for _label, rev in self.current_layers(caller)] + [caller.config_floor])

    def version(self, db: Session, terminal_id: str, region: str, site: str | None, floor: int | None) -> int:
        """``current_version`` after a refresh when one is due."""
        if self.due():
            self.refresh(db)
        return self.current_version(Caller(terminal_id, region, site or "", floor or 0))

    def cached_merged(self, layers: tuple[tuple[str, int], ...]) -> tuple[dict[str, Any], dict[str, str]] | None:
        return self._merged.get(layers)

    def merged(self, db: Session, layers: tuple[tuple[str, int], ...]) -> tuple[dict[str, Any], dict[str, str]]:
        """(config overlay, origin per dotted key) of a layer stack; ConfigError if the kiosk would refuse it."""
        cached = self._merged.get(layers)
        if cached is not None:
            return cached
        from common.config import split_remote
        from server.fleet.profiles import flatten, merge, validate_values

        config: dict[str, Any] = {}
        origin: dict[str, str] = {}
        for label, rev in layers:
            values, refused = split_remote(db.execute(_PROFILE_VALUES, {"rev": rev}).scalar_one())
            if refused:
                # A profile stored before the allow-list: its local-only keys are never signed.
                logger.warning(
                    "profile keys left out of the bundle (local only)",
                    extra={"layer": label, "keys": ",".join(refused)},
                )
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
