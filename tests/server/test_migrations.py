"""The Alembic migrations produce exactly the models' schema, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from server.db import alembic_config, migrate
from server.models import Base
from tests.server.conftest import Gateway


def test_migrated_schema_matches_models(gateway: Gateway) -> None:
    # Only tables some imported model declares: other parts of server/ add tables of their own.
    declared = set(Base.metadata.tables)

    def include_name(name: str | None, type_: str, _parents: object) -> bool:
        return type_ != "table" or name in declared

    with gateway.ctx.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), Base.metadata)
    assert diff == []


def test_migrate_is_idempotent(gateway: Gateway) -> None:
    migrate(gateway.ctx.engine)
    with gateway.ctx.engine.connect() as conn:
        head = ScriptDirectory.from_config(alembic_config(gateway.ctx.engine)).get_current_head()
        assert MigrationContext.configure(conn).get_current_revision() == head
