"""Batched ``last_seen_at`` writes for the resident sessions served on the event loop.

A session's ``last_seen_at`` keeps it from expiring as idle; it is written at most every
``SEEN_WRITE_INTERVAL``. The hot queries only *mark* a session as seen: the first mark starts a
one-second timer, and when it fires one UPDATE writes every marked session, in the thread pool.
Sessions that started together come due together; as single-row writes, 50 of them every 30 s
stalled the worker's loop for about 100 ms (the thread pool's writes taking the GIL in turns).

A write that fails is only logged: the sessions still look due to their next query, which marks
them again. Marks not yet written when the worker stops are written on shutdown (``flush``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import bindparam, update
from starlette.concurrency import run_in_threadpool

from server.auth import utcnow
from server.db import ReadConnections
from server.models import ResidentSession

logger = logging.getLogger(__name__)

SEEN_WRITE_INTERVAL = dt.timedelta(seconds=30)
_TOUCH = (
    update(ResidentSession)
    .where(ResidentSession.id.in_(bindparam("ids", expanding=True)))
    .values(last_seen_at=bindparam("seen"))
)


class LastSeenWriter:
    """Marks taken on the event loop, written by one UPDATE a ``delay`` after the first of them."""

    def __init__(self, reads: ReadConnections, delay: float = 1.0) -> None:
        self._reads = reads
        self._delay = delay
        self._marked: dict[str, dt.datetime] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._writing: set[asyncio.Task[None]] = set()

    def mark(self, session_id: str) -> None:
        """Note that the session was seen now (call on the event loop; no I/O)."""
        self._marked.setdefault(session_id, utcnow())
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._delay, self._write_marked)

    def _write_marked(self) -> None:
        self._timer = None
        marked, self._marked = self._marked, {}
        task = asyncio.get_running_loop().create_task(run_in_threadpool(self.write, marked))
        self._writing.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._writing.discard)

    def write(self, marked: dict[str, dt.datetime]) -> None:
        """Write ``marked`` in one statement, each session at its earliest mark (never later than seen)."""
        if not marked:
            return
        try:
            with self._reads.connect() as conn:
                conn.execute(_TOUCH, {"ids": list(marked), "seen": min(marked.values())})
        except Exception:  # the sessions stay due and are marked again by their next query
            logger.warning("session last-seen write failed", extra={"sessions": len(marked)}, exc_info=True)

    async def flush(self) -> None:
        """Write the marks now and wait for writes under way (the worker's shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._write_marked()
        if self._writing:
            await asyncio.gather(*self._writing)
