"""Software releases on the fleet manager: publish (CLI), roll out in the console, the terminal
endpoints (signed manifest, resumable artefact, reports) and the rollout halting itself."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from common.release import verify_manifest
from server.fleet.models import AuditEntry
from server.fleet.release_cli import main as publish_main
from server.fleet.release_models import Rollout, TerminalUpdate
from tests.fleet.conftest import REGION_A, REGION_B, Fleet

ARTEFACT = b"release bytes " * 1000


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def publish(fleet: Fleet, tmp_path: Path, version: str = "1.1.0", data: bytes = ARTEFACT) -> int:
    path = tmp_path / f"{version}.tar.gz"
    path.write_bytes(data)
    url = fleet.ctx.engine.url.render_as_string(hide_password=False)
    return publish_main([str(path), "--version", version, "--notes", "修复", "--database-url", url])


def rollout(client: Any, csrf: str, version: str = "1.1.0", terminals: str = "", regions: str = "") -> Any:
    data = {"version": version, "terminals": terminals, "regions": regions, "csrf": csrf}
    return client.post("/console/releases/rollouts", data=data, follow_redirects=False)


def latest_rollout(fleet: Fleet) -> Rollout:
    with fleet.ctx.sessions() as db:
        row = db.scalars(select(Rollout).order_by(Rollout.id.desc())).first()
        assert row is not None
        db.expunge(row)
        return row


def test_publish_canary_promote_and_the_terminal_endpoints(fleet: Fleet, tmp_path: Path, staff_client: Any) -> None:
    canary = fleet.register("T-A1", REGION_A, "花桥")
    other = fleet.register("T-B1", REGION_B, "东莞")
    assert publish(fleet, tmp_path) == 0
    assert publish(fleet, tmp_path) == 2  # a published version is immutable
    admin, csrf = staff_client("admin")
    with fleet.client() as terminal:
        assert terminal.get("/api/v1/terminal/release", headers=auth(canary)).status_code == 204
        assert rollout(admin, csrf, terminals="T-A1").status_code == 303
        answer = terminal.get("/api/v1/terminal/release", headers=auth(canary))
        assert answer.status_code == 200
        key = terminal.get("/api/v1/terminal/server-key", headers=auth(canary)).json()
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
        manifest = verify_manifest(answer.json(), public)
        assert manifest["sha256"] == hashlib.sha256(ARTEFACT).hexdigest()
        assert (manifest["version"], manifest["size"], manifest["notes"]) == ("1.1.0", len(ARTEFACT), "修复")
        assert terminal.get("/api/v1/terminal/release", headers=auth(other)).status_code == 204

        whole = terminal.get("/api/v1/terminal/releases/1.1.0/artefact", headers=auth(canary))
        assert whole.status_code == 200 and whole.content == ARTEFACT
        rest = terminal.get("/api/v1/terminal/releases/1.1.0/artefact", headers={**auth(canary), "Range": "bytes=100-"})
        assert rest.status_code == 206 and rest.content == ARTEFACT[100:]
        assert rest.headers["Content-Range"] == f"bytes 100-{len(ARTEFACT) - 1}/{len(ARTEFACT)}"
        past = {**auth(canary), "Range": f"bytes={len(ARTEFACT)}-"}
        assert terminal.get("/api/v1/terminal/releases/1.1.0/artefact", headers=past).status_code == 416
        assert terminal.get("/api/v1/terminal/releases/9.9/artefact", headers=auth(canary)).status_code == 404
        assert terminal.get("/api/v1/terminal/releases/1.1.0/artefact").status_code == 401

        for step in ("downloading", "verified", "installed", "switched", "healthy"):
            report = {"version": "1.1.0", "step": step}
            answer = terminal.post("/api/v1/terminal/update-report", json=report, headers=auth(canary))
            assert answer.json() == {"recorded": True, "rollout_halted": False}
        page = admin.get("/console/releases").text
        assert 'id="canary-1-T-A1"' in page and "healthy" in page

        assert (
            admin.post(
                f"/console/releases/rollouts/{latest_rollout(fleet).id}/promote", data={"csrf": csrf}
            ).status_code
            == 200
        )
        assert latest_rollout(fleet).state == "promoted"
        assert terminal.get("/api/v1/terminal/release", headers=auth(other)).status_code == 200
    with fleet.ctx.sessions() as db:
        actions = {a.action for a in db.scalars(select(AuditEntry))}
    assert {"release_publish", "rollout_create", "rollout_promote", "update_report"} <= actions


def test_a_canary_that_rolls_back_halts_the_rollout(fleet: Fleet, tmp_path: Path, staff_client: Any) -> None:
    canary = fleet.register("T-A1", REGION_A, "花桥")
    other = fleet.register("T-A2", REGION_A, "花桥")
    publish(fleet, tmp_path)
    admin, csrf = staff_client("admin")
    rollout(admin, csrf, terminals="T-A1")
    report = {"version": "1.1.0", "step": "rolled_back", "reason": "did not come up healthy within 600 s"}
    with fleet.client() as terminal:
        first = terminal.post("/api/v1/terminal/update-report", json=report, headers=auth(canary))
        assert first.json()["rollout_halted"] is True
        again = terminal.post("/api/v1/terminal/update-report", json=report, headers=auth(canary))
        assert again.json()["rollout_halted"] is False  # idempotent
        assert terminal.get("/api/v1/terminal/release", headers=auth(canary)).status_code == 204
        assert terminal.get("/api/v1/terminal/release", headers=auth(other)).status_code == 204
        bad = {"version": "1.1.0", "step": "exploded"}
        assert terminal.post("/api/v1/terminal/update-report", json=bad, headers=auth(canary)).status_code == 422
    row = latest_rollout(fleet)
    assert row.state == "halted" and "T-A1 rolled_back: did not come up healthy" in row.halt_reason
    with fleet.ctx.sessions() as db:
        update = db.get(TerminalUpdate, "T-A1")
        assert update is not None and (update.step, update.rollout_id) == ("rolled_back", row.id)
        halts = db.scalars(select(AuditEntry).where(AuditEntry.action == "rollout_halt")).all()
    assert len(halts) == 1 and halts[0].actor == "terminal:T-A1"
    page = admin.get("/console/releases").text
    assert "did not come up healthy" in page
    # The admin cannot promote a halted rollout.
    assert admin.post(f"/console/releases/rollouts/{row.id}/promote", data={"csrf": csrf}).status_code == 409


def test_roles_of_rollouts(fleet: Fleet, tmp_path: Path, staff_client: Any) -> None:
    fleet.register("T-A1", REGION_A, "花桥")
    fleet.register("T-B1", REGION_B, "东莞")
    publish(fleet, tmp_path)
    viewer, viewer_csrf = staff_client("viewer")
    assert rollout(viewer, viewer_csrf, terminals="T-A1").status_code == 403
    assert "new-rollout" not in viewer.get("/console/releases").text
    operator, op_csrf = staff_client("op_a")
    assert rollout(operator, op_csrf, terminals="T-B1").status_code == 403  # another region's terminal
    assert rollout(operator, op_csrf, regions=REGION_B).status_code == 403
    assert rollout(operator, "wrong", terminals="T-A1").status_code == 403  # CSRF
    assert rollout(operator, op_csrf, terminals="T-A1").status_code == 303
    row = latest_rollout(fleet)
    assert operator.post(f"/console/releases/rollouts/{row.id}/promote", data={"csrf": op_csrf}).status_code == 403
    halt = operator.post(
        f"/console/releases/rollouts/{row.id}/halt",
        data={"csrf": op_csrf, "reason": "打印异常"},
        follow_redirects=False,
    )
    assert halt.status_code == 303 and latest_rollout(fleet).halt_reason == "打印异常"
    admin, csrf = staff_client("admin")
    assert rollout(admin, csrf, terminals="T-NONE").status_code == 422
    assert rollout(admin, csrf, version="0.0.9", terminals="T-A1").status_code == 422
    assert rollout(admin, csrf).status_code == 422  # an empty canary group
    assert rollout(admin, csrf, regions="32058").status_code == 422


def test_dashboard_shows_each_terminals_version(fleet: Fleet, staff_client: Any) -> None:
    token = fleet.register("T-A1", REGION_A, "花桥")
    beat = {"app_version": "1.1.0", "uptime_seconds": 1.0}
    with fleet.client() as terminal:
        assert terminal.post("/api/v1/terminal/heartbeat", json=beat, headers=auth(token)).status_code == 200
    admin, _csrf = staff_client("admin")
    page = admin.get("/console/").text
    assert '<td class="app-version">1.1.0</td>' in page


def test_migrated_schema_matches_the_release_models(fleet: Fleet) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from server.fleet import release_models
    from server.models import Base

    ours = {
        release_models.SoftwareRelease.__tablename__,
        release_models.ReleaseArtefact.__tablename__,
        release_models.Rollout.__tablename__,
        release_models.TerminalUpdate.__tablename__,
    }

    def include_object(obj: object, name: str | None, type_: str, _reflected: bool, _other: object) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in ours

    with fleet.ctx.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        assert compare_metadata(context, Base.metadata) == []
        assert ours <= set(context.dialect.get_table_names(conn))


def test_migration_0008_upgrades_and_downgrades(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from server.db import alembic_config, make_engine
    from server.settings import sqlite_url

    engine = make_engine(sqlite_url(tmp_path))
    config = alembic_config(engine)
    ours = {"software_releases", "release_artefacts", "release_rollouts", "terminal_updates"}
    command.upgrade(config, "0008")
    assert ours <= set(inspect(engine).get_table_names())
    command.downgrade(config, "0007")
    assert not ours & set(inspect(engine).get_table_names())
    engine.dispose()


def test_publish_release_is_a_server_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    artefact = tmp_path / "r.tar.gz"
    artefact.write_bytes(ARTEFACT)
    repo = Path(__file__).resolve().parents[2]
    run = [sys.executable, "-m", "server", "publish-release", str(artefact), "--version", "2.0.0"]
    answer = subprocess.run(
        [*run, "--data-dir", str(tmp_path / "server")], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert answer.returncode == 0, answer.stderr
    assert (
        f"release 2.0.0 published: {len(ARTEFACT)} bytes, sha256 {hashlib.sha256(ARTEFACT).hexdigest()}"
        in answer.stdout
    )
    bad = subprocess.run(
        [*run[:-1], "../x", "--data-dir", str(tmp_path / "server")],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "invalid version" in bad.stderr
