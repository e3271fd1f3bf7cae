"""``python -m server migrate [--database-url URL]``: bring the database schema to head, once.

The deployment step that runs before the gateway's workers start (deploy/server,
``renshe-gateway-migrate.service``); the workers themselves are started with migrations off
(``--no-migrate`` or ``RENSHE_MIGRATE_ON_START=0``), so a fleet of processes never races to alter
the schema. Several machines may still run this step at the same moment (each boots its own): on
PostgreSQL it holds a session advisory lock for the whole upgrade, so the second waits and then
finds the schema at head. Exit status 0 when the schema is at head, 1 when the database refused.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server.db import make_engine, migrate
from server.settings import ServerSettings

logger = logging.getLogger(__name__)

# Any fixed 64-bit number, unique among the advisory locks of this database ("renshe" in ASCII).
MIGRATION_LOCK_ID = 0x72656E736865


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m server migrate", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (env RENSHE_DATABASE_URL)")
    parser.add_argument("--data-dir", default=None, help="data directory (env RENSHE_DATA_DIR; SQLite default)")
    args = parser.parse_args(list(argv))
    settings = ServerSettings.from_env(data_dir=args.data_dir, database_url=args.database_url)
    engine = make_engine(settings.database_url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as lock:
                lock.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
                try:
                    migrate(engine)
                finally:
                    lock.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
        else:
            migrate(engine)
    except SQLAlchemyError as exc:
        print(f"python -m server migrate: the database refused: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"database schema at head ({settings.database_kind})")
    return 0
