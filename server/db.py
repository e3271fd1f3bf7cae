"""Engine, sessions and migrations.

``make_engine`` creates the data directory for SQLite and turns on WAL and foreign keys; every
engine is made with ``hide_parameters=True``: a failed statement's parameters are residents' SSNs,
names and card numbers, and SQLAlchemy would otherwise put them in the exception text and the logs;
``migrate`` runs the package's Alembic migrations (``upgrade head``) programmatically so
a fresh data directory or an empty PostgreSQL database is usable on first start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Threads serving synchronous endpoints per process (set on start-up in server.app).
WORKER_THREADS = 16


# What the serving gateway allows one PostgreSQL statement: the resident queries run on the event
# loop (server.api), so a runaway statement must not hold a worker longer than a kiosk waits.
SERVING_STATEMENT_TIMEOUT_MS = 5000


def make_engine(
    database_url: str, statement_timeout_ms: int | None = None, extra_connect_args: dict[str, Any] | None = None
) -> Engine:
    """An engine for ``database_url``; SQLite files get their directory, WAL and foreign keys.
    ``statement_timeout_ms`` caps each PostgreSQL statement (the serving gateway; not migrations
    or seeding, which may rightly run for minutes); ``extra_connect_args`` go to the PostgreSQL
    driver (the read replica's connect timeout and application name, server.replica)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # Many threads (uvicorn's thread pool) share the pool; WAL lets readers run beside one writer.
        # Pool bigger than twice the worker threads (a request may hold two connections: its own
        # session and one inside the data source), so checkouts can never deadlock.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
            pool_size=8,
            max_overflow=2 * WORKER_THREADS + 8,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # No pre-ping: it costs a round trip per checkout (several per request); recycle stale ones instead.
    # JIT off: the gateway runs short indexed look-ups, and a misestimated plan that crosses the JIT
    # threshold spends hundreds of milliseconds compiling for a query that runs in one.
    options = "-c jit=off" + (f" -c statement_timeout={statement_timeout_ms}" if statement_timeout_ms else "")
    connect_args: dict[str, Any] = {"options": options} if url.get_backend_name() == "postgresql" else {}
    connect_args.update(extra_connect_args or {})
    return create_engine(
        url,
        hide_parameters=True,
        pool_size=10,
        max_overflow=2 * WORKER_THREADS,
        pool_recycle=1800,
        connect_args=connect_args,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (``alembic upgrade head``)."""
    command.upgrade(alembic_config(engine), "head")
    logger.info("database schema at head", extra={"database": engine.url.get_backend_name()})


class ReadConnections:
    """Autocommit connections for single-statement reads: no BEGIN/ROLLBACK round trips.

    The thread that runs the event loop keeps one connection for good (``pin_to_current_thread``,
    called from the app's lifespan): the hot resident queries run there one after another, with no
    ``await`` while a connection is in use, so one connection serves them all and each statement
    is spared a pool checkout, an isolation-level switch and a reset. Any other thread checks a
    connection out of the pool for each use. A connection the driver reports broken is dropped,
    and the next use opens a new one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._pinned_thread: int | None = None
        self._pinned: Connection | None = None

    def pin_to_current_thread(self) -> None:
        self._pinned_thread = threading.get_ident()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for the caller's statements; never hold it across an ``await``."""
        if threading.get_ident() != self._pinned_thread:
            with self.engine.connect() as pooled:
                yield pooled
            return
        conn = self._pinned
        if conn is None or conn.closed or conn.invalidated:
            conn = self._pinned = self.engine.connect()
        try:
            yield conn
        except DBAPIError as exc:
            if exc.connection_invalidated:
                self.close()
            else:
                conn.rollback()  # clear SQLAlchemy's record of the failed statement; no round trip
            raise

    def run(self, read: Callable[[Connection], T]) -> T:
        """``read(conn)`` on one of these connections (the interface of server.replica.ReadRouter)."""
        with self.connect() as conn:
            return read(conn)

    def close(self) -> None:
        """Give the pinned connection back (the app's shutdown)."""
        conn, self._pinned = self._pinned, None
        if conn is not None:
            conn.close()


def ping(reads: ReadConnections) -> bool:
    """True when the database answers a trivial query."""
    try:
        with reads.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "not reachable" for /healthz
        logger.warning("database ping failed", exc_info=True)
        return False
