"""create-staff / create-terminal commands, the 0002 migration, heartbeat payloads."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from kiosk.device_report import DeviceReport, printer_report
from kiosk.heartbeat import HeartbeatBuilder
from server.db import alembic_config, make_engine, make_session_factory, migrate
from server.fleet.cli import create_staff_main, create_terminal_main
from server.fleet.models import FleetTerminal, StaffUser
from server.fleet.staff import check_password
from server.models import Terminal
from server.settings import sqlite_url

FLEET_TABLES = {
    "fleet_terminals",
    "config_profiles",
    "fleet_heartbeats",
    "fleet_commands",
    "fleet_audit",
    "staff_users",
    "staff_sessions",
}


def test_create_staff_reads_the_password_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-passw0rd\n"))
    assert create_staff_main(["alice", "--role", "operator", "--region", "320583", "--data-dir", str(tmp_path)]) == 0
    assert "s3cret" not in capsys.readouterr().out
    engine = make_engine(sqlite_url(tmp_path))
    with make_session_factory(engine)() as db:
        user = db.get(StaffUser, "alice")
        assert (user.role, user.regions) == ("operator", ["320583"])
        assert user.password_hash.startswith("$argon2id$")
        assert check_password(db, "alice", "s3cret-passw0rd") is not None
        assert check_password(db, "alice", "wrong") is None
    engine.dispose()


@pytest.mark.parametrize(
    "argv,stdin",
    [
        (["bob", "--role", "operator"], "long-enough-password\n"),  # operator without a region
        (["bob", "--role", "admin"], "short\n"),  # password too short
        (["b b", "--role", "viewer"], "long-enough-password\n"),  # bad username
    ],
)
def test_create_staff_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert create_staff_main([*argv, "--data-dir", str(tmp_path)]) == 2


def test_create_terminal_with_site_and_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        create_terminal_main(
            [
                "KS-0001",
                "--region",
                "320583",
                "--site",
                "花桥人社所",
                "--address",
                "花桥镇1号",
                "--data-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    code = capsys.readouterr().out.strip()
    assert len(code) == 10
    engine = make_engine(sqlite_url(tmp_path))
    with make_session_factory(engine)() as db:
        assert db.get(Terminal, "KS-0001").region == "320583"
        assert (db.get(FleetTerminal, "KS-0001").site, db.get(FleetTerminal, "KS-0001").address) == (
            "花桥人社所",
            "花桥镇1号",
        )
    engine.dispose()
    assert create_terminal_main(["bad id", "--data-dir", str(tmp_path)]) == 2


def test_migration_0002_upgrades_and_downgrades(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    migrate(engine)
    assert FLEET_TABLES <= set(inspect(engine).get_table_names())
    command.downgrade(alembic_config(engine), "0001")
    assert not FLEET_TABLES & set(inspect(engine).get_table_names())
    command.upgrade(alembic_config(engine), "head")
    assert FLEET_TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_heartbeat_counts_since_last_beat_and_no_resident_data() -> None:
    totals = [0, 0]
    clock = [100.0]
    builder = HeartbeatBuilder(
        "1.0",
        {
            "printer": lambda: printer_report("paper_near_end"),
            "card": lambda: DeviceReport("ok"),
            "camera": lambda: (_ for _ in ()).throw(OSError("gone")),
        },
        totals=lambda: (totals[0], totals[1]),
        clock=lambda: clock[0],
    )
    totals[:] = [3, 2]
    clock[0] = 160.0
    beat = builder.build(7)
    assert beat["sessions"] == 3 and beat["prints"] == 2 and beat["uptime_seconds"] == 60.0
    assert beat["devices"]["printer"] == {"status": "ok", "detail": "paper_near_end", "paper": "near_end"}
    assert beat["devices"]["camera"]["status"] == "unknown"
    assert beat["config_version"] == 7
    totals[:] = [4, 2]
    second = builder.build(7)
    assert (second["sessions"], second["prints"]) == (1, 0)
    builder.rollback_counts(second)  # not delivered: counted again next time
    assert builder.build(7)["sessions"] == 1
    builder.note_error("x" * 500)
    assert len(builder.build(7)["last_error"]) == 200


@pytest.mark.parametrize(
    "status,expected",
    [
        ("ready", ("ok", "ok")),
        ("no_paper", ("error", "out")),
        ("offline", ("offline", "unknown")),
        (None, ("unknown", "unknown")),
    ],
)
def test_printer_report(status: str | None, expected: tuple[str, str]) -> None:
    report = printer_report(status)
    assert (report.status, report.paper) == expected


def test_migrated_schema_matches_the_fleet_models(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from server.fleet import models as fleet_models
    from server.models import Base

    declared = set(Base.metadata.tables)
    assert fleet_models.FleetTerminal.__tablename__ in declared

    def include_name(name: str | None, type_: str, _parents: object) -> bool:
        # Other parts of server/ may add tables whose models this test does not import.
        return type_ != "table" or name in declared

    engine = make_engine(sqlite_url(tmp_path))
    migrate(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()
