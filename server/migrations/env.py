"""Alembic environment: run programmatically by server.db.migrate with an engine in the config."""

from __future__ import annotations

import logging

from alembic import context
from sqlalchemy import create_engine

from server.models import Base

logger = logging.getLogger(__name__)

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        # Plain `alembic` CLI use: the URL comes from the ini file.
        engine = create_engine(config.get_main_option("sqlalchemy.url"), hide_parameters=True)
    with engine.begin() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=connection.dialect.name == "sqlite"
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
