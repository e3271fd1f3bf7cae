"""Migration 0007 on SQLite and PostgreSQL: applications of the first release (card_resume,
transfer) are moved to the new kind ids and stay readable; the new columns get their defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from server.applications.receipts import application_out
from server.db import alembic_config, make_engine, make_session_factory
from server.devdb import ThrowawayPostgres
from server.models import Application
from server.settings import sqlite_url
from server.store.base import PersonRecord


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_old_applications_survive_the_upgrade(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if kind == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
        url = server.create_database(f"upgrade_{tmp_path.name.lower().replace('-', '_')}"[:60])
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0006")
    now = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO persons (id, ssn, name, gender, birth_date, ethnicity, birth_place, region, "
                "employment_status) VALUES (1, '320583198001010011', '测试', '1', '1980-01-01', '01', "
                "'320583', '320583', 'employed')"
            )
        )
        for app_id, old in ((1, "card_resume"), (2, "transfer"), (3, "contact_update")):
            conn.execute(
                text(
                    "INSERT INTO applications (id, person_id, kind, form, status, created_at) "
                    "VALUES (:id, 1, :kind, '{}', 'completed', :at)"
                ),
                {"id": app_id, "kind": old, "at": now},
            )
    command.upgrade(alembic_config(engine), "head")
    with make_session_factory(engine)() as db:
        apps = {a.id: a for a in db.query(Application)}
        assert {i: a.kind for i, a in apps.items()} == {1: "card_unsuspend", 2: "pension_transfer", 3: "contact_update"}
        person = PersonRecord(
            1, "320583198001010011", "测试", "1", dt.date(1980, 1, 1), "320583", None, None, "employed"
        )
        shown = application_out(apps[1], person)
        assert shown.type_name == "解挂" and shown.status_name == "已办结" and shown.next_steps
        assert db.execute(text("SELECT student, hukou_region FROM persons")).one() == (False, None)
    engine.dispose()
