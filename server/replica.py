"""Read scaling on a PostgreSQL streaming replica, consistent for every resident (docs/read-replica.md).

The consistency rule (the *read horizon*): a resident request's session look-up, which runs on the
primary anyway (it is the credential check), also returns the primary's WAL flush position
(``pg_current_wal_flush_lsn()``). Every commit acknowledged before the request began lies at or
before that position, so a replica that has replayed up to it (``pg_last_wal_replay_lsn()``) shows
all of them: the resident's own writes (an application just submitted, a card just suspended), a
staff decision taken a moment ago in another gateway process, everything. The request's reads go to
the replica only then; otherwise to the primary. No state is shared between gateway processes and no
statement is added on the primary; the price is that a read right after any write (anyone's) goes to
the primary until the replica has caught up, which on a streaming replica is a few milliseconds.

The horizon travels in a context variable (:data:`READ_HORIZON`): set by the resident session
look-up of a read handler (``server.api``), read by :meth:`ReadRouter.run`. Without one (writes,
sign-ins, the back office, anything not marked) reads go to the primary.

A replica that fails (down, recovery conflict, not a standby) is left alone for ``retry_seconds``;
one that has not reached a horizon for ``max_lag_seconds`` likewise. Both are logged once per
episode, with no personal data; the read is then answered by the primary.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy import Connection, Engine, literal_column, text
from sqlalchemy.exc import DBAPIError

from server.db import SERVING_STATEMENT_TIMEOUT_MS, ReadConnections, make_engine

logger = logging.getLogger(__name__)

T = TypeVar("T")

# The WAL position of the primary when the current request's session was looked up (bytes since 0/0),
# or None: this request's reads must go to the primary.
READ_HORIZON: ContextVar[int | None] = ContextVar("renshe_read_horizon", default=None)

# The primary's flush position as a column of the session look-up (PostgreSQL only).
PRIMARY_WAL_POSITION = literal_column("(pg_current_wal_flush_lsn() - '0/0'::pg_lsn)::bigint").label("wal_position")
_REPLAYED = text("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint")

DEFAULT_MAX_LAG_SECONDS = 5.0
DEFAULT_RETRY_SECONDS = 10.0
# Horizons remembered while the replica is behind: enough to time the oldest unreached one.
_MAX_PENDING = 256


def make_replica_engine(url: str) -> Engine:
    """The replica's serving engine: the primary's options, plus a short connect timeout (a replica
    that stopped answering must not hold the event loop for long) and its own application name."""
    return make_engine(
        url,
        SERVING_STATEMENT_TIMEOUT_MS,
        extra_connect_args={"connect_timeout": 2, "application_name": "renshe-gateway-replica"},
    )


class ReadRouter:
    """Runs single-statement reads on the replica when the request's horizon allows, else on the primary.

    ``replica`` None (SQLite, or no replica configured): everything on the primary, unchanged.
    Thread-safe: the event loop and the worker threads share one router.
    """

    def __init__(
        self,
        primary: ReadConnections,
        replica: ReadConnections | None = None,
        max_lag_seconds: float = DEFAULT_MAX_LAG_SECONDS,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag_seconds = max_lag_seconds
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._replayed = -1  # the highest replay position seen; replay only moves forward
        self._pending: deque[tuple[int, float]] = deque()  # (horizon, first seen) not yet replayed
        self._skip_until = 0.0
        self.replica_reads = 0  # reads answered by the replica (tests, the benchmark)
        self.primary_reads = 0

    @property
    def has_replica(self) -> bool:
        return self.replica is not None

    def pin_to_current_thread(self) -> None:
        self.primary.pin_to_current_thread()
        if self.replica is not None:
            self.replica.pin_to_current_thread()

    def close(self) -> None:
        """Give the pinned connections back (the app's shutdown)."""
        if self.replica is not None:
            self.replica.close()

    def run(self, read: Callable[[Connection], T]) -> T:
        """``read(conn)`` on the replica when this request's horizon allows and the replica is
        healthy, else on the primary. A replica error answers from the primary instead."""
        horizon = READ_HORIZON.get()
        replica = self.replica
        if replica is not None and horizon is not None and self._replica_has(replica, horizon):
            try:
                with replica.connect() as conn:
                    result = read(conn)
                self.replica_reads += 1
                return result
            except DBAPIError as exc:
                self._set_aside("a read failed", exc)
        self.primary_reads += 1
        with self.primary.connect() as conn:
            return read(conn)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection chosen as :meth:`run` chooses, for code that needs several statements in its
        own block; a replica failing inside the block is not replaced (prefer :meth:`run`)."""
        replica = self.replica
        horizon = READ_HORIZON.get()
        if replica is not None and horizon is not None and self._replica_has(replica, horizon):
            with replica.connect() as conn:
                yield conn
            return
        with self.primary.connect() as conn:
            yield conn

    def _replica_has(self, replica: ReadConnections, horizon: int) -> bool:
        """Whether the replica has replayed up to ``horizon``: from what is known, else one cheap
        statement on the replica (never on the primary)."""
        now = self._clock()
        if now < self._skip_until:
            return False
        if horizon <= self._replayed:
            return True
        try:
            with replica.connect() as conn:
                replayed = conn.execute(_REPLAYED).scalar()
        except DBAPIError as exc:
            self._set_aside("it did not answer", exc)
            return False
        if replayed is None:
            self._set_aside("it is not a standby (pg_last_wal_replay_lsn() is NULL)", None)
            return False
        return self._observe(int(replayed), horizon, now)

    def _observe(self, replayed: int, horizon: int, now: float) -> bool:
        with self._lock:
            self._replayed = max(self._replayed, replayed)
            while self._pending and self._pending[0][0] <= self._replayed:
                self._pending.popleft()
            if horizon <= self._replayed:
                return True
            if (not self._pending or horizon > self._pending[-1][0]) and len(self._pending) < _MAX_PENDING:
                self._pending.append((horizon, now))
            lag = now - self._pending[0][1] if self._pending else 0.0
        if lag > self.max_lag_seconds:
            self._set_aside(f"it is {lag:.1f} s behind the primary (limit {self.max_lag_seconds:g} s)", None)
        return False

    def _set_aside(self, why: str, exc: BaseException | None) -> None:
        """Read from the primary for ``retry_seconds``; logged once per episode (no statement, no
        parameters: the exception's class only)."""
        with self._lock:
            already = self._clock() < self._skip_until
            self._skip_until = self._clock() + self.retry_seconds
            self._pending.clear()
        if not already:
            logger.warning(
                "read replica set aside for %g s, reading from the primary: %s",
                self.retry_seconds,
                why,
                extra={"error": type(exc).__name__ if exc is not None else None},
            )
