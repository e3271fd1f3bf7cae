"""Terminal endpoints: key, signed config with ETag/304, heartbeats, commands, refusals."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from common.bundles import verify_envelope
from server.fleet import heartbeats, service
from server.fleet.models import FleetTerminal, Heartbeat
from server.fleet.profiles import save_profile
from tests.fleet.conftest import REGION_A, REGION_B, Fleet


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    """Every test here runs on SQLite and on PostgreSQL (tests/fleet/conftest.py: ``fleet``)."""
    return request.param


BEAT = {
    "app_version": "1.2.3",
    "uptime_seconds": 12.5,
    "config_version": 0,
    "devices": {"printer": {"status": "ok", "detail": "paper_near_end", "paper": "near_end"}, "card": {"status": "ok"}},
    "last_error": None,
    "sessions": 3,
    "prints": 2,
    "print_queue": 0,
    "maintenance": False,
}


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_bundle_is_signed_layered_and_cached_by_version(fleet: Fleet) -> None:
    token = fleet.register("T-A1", REGION_A, "花桥")
    with fleet.ctx.sessions.begin() as db:
        save_profile(db, "global", "", {"session": {"idle_timeout": 90}, "terminal": {"language": "en"}}, "admin")
        save_profile(db, "region", REGION_A, {"session": {"idle_timeout": 120}}, "admin")
        save_profile(db, "site", f"{REGION_A}/花桥", {"services": {"enabled": ["insurance_info"]}}, "admin")
        save_profile(db, "region", REGION_B, {"session": {"idle_timeout": 30}}, "admin")
    with fleet.client() as client:
        key = client.get("/api/v1/terminal/server-key", headers=auth(token)).json()
        answer = client.get("/api/v1/terminal/config", headers=auth(token))
        assert answer.status_code == 200
        envelope = answer.json()
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
        bundle = verify_envelope(envelope, public, "T-A1")
        assert bundle["config"] == {
            "session": {"idle_timeout": 120},
            "terminal": {"language": "en"},
            "services": {"enabled": ["insurance_info"]},
        }
        assert bundle["origin"] == {
            "session.idle_timeout": f"region:{REGION_A}",
            "terminal.language": "global",
            "services.enabled": f"site:{REGION_A}/花桥",
        }
        # The other region's newer profile does not concern this terminal; its version is its layers' newest.
        assert bundle["version"] == 3
        etag = answer.headers["etag"]
        assert client.get("/api/v1/terminal/config", headers={**auth(token), "If-None-Match": etag}).status_code == 304
        assert client.get("/api/v1/terminal/config", params={"since": 3}, headers=auth(token)).status_code == 304
        assert client.get("/api/v1/terminal/config", params={"since": 2}, headers=auth(token)).status_code == 200
    with fleet.ctx.sessions() as db:
        assert db.get(FleetTerminal, "T-A1").key_pin is not None


def test_heartbeat_keeps_latest_state_and_sampled_history(fleet: Fleet) -> None:
    token = fleet.register("T-A1", REGION_A)
    with fleet.client() as client:
        for _ in range(3):
            answer = client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token))
            assert answer.status_code == 200
        assert answer.json() == {"interval": 30, "config_version": 0, "commands_pending": 0}
        # Paper runs out: a change staff care about is sampled at once, with the counts since the last sample.
        out = {**BEAT, "devices": {"printer": {"status": "error", "paper": "out"}}}
        client.post("/api/v1/terminal/heartbeat", json=out, headers=auth(token))
    with fleet.ctx.sessions() as db:
        row = db.get(FleetTerminal, "T-A1")
        assert row.last_state["devices"]["printer"]["paper"] == "out"
        assert row.config_version_applied == 0
        history = db.query(Heartbeat).filter_by(terminal_id="T-A1").order_by(Heartbeat.id).all()
        assert [h.payload["devices"]["printer"]["paper"] for h in history] == ["near_end", "out"]
        assert [h.payload["sessions"] for h in history] == [3, 9]  # nothing lost between samples
        views = service.list_terminals(db, 30)
        assert [(v.terminal.id, v.state, v.paper) for v in views] == [("T-A1", "online", "out")]


def test_history_is_sampled_every_ten_minutes_when_nothing_changes(fleet: Fleet) -> None:
    token = fleet.register("T-A1", REGION_A)
    with fleet.client() as client:
        client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token))
        with fleet.ctx.sessions.begin() as db:
            row = db.get(FleetTerminal, "T-A1")
            row.history_at = service.utcnow() - heartbeats.HISTORY_EVERY
        client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token))
    with fleet.ctx.sessions() as db:
        assert db.query(Heartbeat).filter_by(terminal_id="T-A1").count() == 2


def test_version_cache_sees_changes_within_its_check_period(fleet: Fleet) -> None:
    cache = heartbeats.VersionCache(check_every=3600)
    with fleet.ctx.sessions() as db:
        assert cache.version(db, "T-A1", REGION_A, None, 0) == 0
    with fleet.ctx.sessions.begin() as db:
        save_profile(db, "region", REGION_A, {"session": {"idle_timeout": 70}}, "admin")
    with fleet.ctx.sessions() as db:
        assert cache.version(db, "T-A1", REGION_A, None, 0) == 0  # not re-checked yet
        cache.invalidate()
        assert cache.version(db, "T-A1", REGION_A, None, 0) == 1
        assert cache.version(db, "T-B1", REGION_B, None, 0) == 0
        assert cache.version(db, "T-B1", REGION_B, None, 5) == 5  # never below the floor


def test_heartbeat_refuses_unknown_fields(fleet: Fleet) -> None:
    """Nothing but the documented fields: a resident's data cannot ride along."""
    token = fleet.register("T-A1", REGION_A)
    with fleet.client() as client:
        answer = client.post(
            "/api/v1/terminal/heartbeat", json={**BEAT, "ssn": "110101199003070012"}, headers=auth(token)
        )
        assert answer.status_code == 422


def test_commands_are_delivered_until_acknowledged(fleet: Fleet) -> None:
    token = fleet.register("T-A1", REGION_A)
    other = fleet.register("T-A2", REGION_A)
    with fleet.ctx.sessions.begin() as db:
        cmd = service.queue_command(db, "T-A1", "print_test_page", "admin")
        cmd_id = cmd.id
    with fleet.client() as client:
        beat = client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token)).json()
        assert beat["commands_pending"] == 1
        first = client.get("/api/v1/terminal/commands", headers=auth(token)).json()["commands"]
        again = client.get("/api/v1/terminal/commands", headers=auth(token)).json()["commands"]
        assert [c["id"] for c in first] == [c["id"] for c in again] == [cmd_id]
        assert client.get("/api/v1/terminal/commands", headers=auth(other)).json()["commands"] == []
        refused = client.post(f"/api/v1/terminal/commands/{cmd_id}/ack", json={"ok": True}, headers=auth(other))
        assert refused.status_code == 404
        assert (
            client.post(
                f"/api/v1/terminal/commands/{cmd_id}/ack", json={"ok": True, "result": "printed"}, headers=auth(token)
            ).status_code
            == 200
        )
        assert client.get("/api/v1/terminal/commands", headers=auth(token)).json()["commands"] == []
        # A second ack changes nothing.
        assert (
            client.post(f"/api/v1/terminal/commands/{cmd_id}/ack", json={"ok": False}, headers=auth(token)).status_code
            == 200
        )
    with fleet.ctx.sessions() as db:
        from server.fleet.models import FleetCommand

        row = db.get(FleetCommand, cmd_id)
        assert (row.state, row.result) == ("acknowledged", "printed")


def test_revoked_terminal_is_refused_at_once(fleet: Fleet) -> None:
    token = fleet.register("T-A1", REGION_A)
    with fleet.client() as client:
        assert client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token)).status_code == 200
        with fleet.ctx.sessions.begin() as db:
            service.revoke_terminal(db, "T-A1", "admin")
        for method, path in (
            ("POST", "/api/v1/terminal/heartbeat"),
            ("GET", "/api/v1/terminal/config"),
            ("GET", "/api/v1/terminal/commands"),
            ("GET", "/api/v1/terminal/server-key"),
        ):
            answer = client.request(method, path, json=BEAT if method == "POST" else None, headers=auth(token))
            assert answer.status_code == 401, path
    with fleet.ctx.sessions() as db:
        assert service.is_revoked(db, "T-A1")
        assert not service.is_revoked(db, "T-A2")
        views = {v.terminal.id: v.state for v in service.list_terminals(db, 30)}
        assert views["T-A1"] == "revoked"


def test_reregistering_a_revoked_terminal_lets_it_enrol_again(fleet: Fleet) -> None:
    fleet.register("T-A1", REGION_A)
    with fleet.ctx.sessions.begin() as db:
        service.revoke_terminal(db, "T-A1", "admin")
    token = fleet.register("T-A1", REGION_A)
    with fleet.client() as client:
        assert client.post("/api/v1/terminal/heartbeat", json=BEAT, headers=auth(token)).status_code == 200
    with fleet.ctx.sessions() as db:
        assert not service.is_revoked(db, "T-A1")


def test_missing_or_wrong_credentials(fleet: Fleet) -> None:
    fleet.register("T-A1", REGION_A)
    with fleet.client() as client:
        assert client.get("/api/v1/terminal/config").status_code == 401
        assert client.get("/api/v1/terminal/config", headers=auth("forged")).status_code == 401


def test_moving_a_terminal_never_lowers_its_version(fleet: Fleet) -> None:
    token = fleet.register("T-A1", REGION_A)
    with fleet.ctx.sessions.begin() as db:
        save_profile(db, "region", REGION_B, {"session": {"idle_timeout": 30}}, "admin")  # id 1
        save_profile(db, "region", REGION_A, {"session": {"idle_timeout": 40}}, "admin")  # id 2
    with fleet.client() as client:
        assert client.get("/api/v1/terminal/config", headers=auth(token)).json()["bundle"]["version"] == 2
    with fleet.ctx.sessions.begin() as db:
        service.register_terminal(db, "T-A1", REGION_B, "", "", "admin")
    token = fleet.register("T-A1", REGION_B)
    with fleet.client() as client:
        bundle = client.get("/api/v1/terminal/config", headers=auth(token)).json()["bundle"]
        assert bundle["version"] >= 2
        assert bundle["config"] == {"session": {"idle_timeout": 30}}


def test_offline_after_three_silent_intervals(fleet: Fleet) -> None:
    fleet.register("T-A1", REGION_A)
    with fleet.ctx.sessions.begin() as db:
        row = service.fleet_row(db, "T-A1")
        row.last_seen_at = service.utcnow() - service.dt.timedelta(seconds=89)
        row.last_state = BEAT
    with fleet.ctx.sessions() as db:
        assert service.list_terminals(db, 30)[0].state == "online"
    with fleet.ctx.sessions.begin() as db:
        service.fleet_row(db, "T-A1").last_seen_at = service.utcnow() - service.dt.timedelta(seconds=91)
    with fleet.ctx.sessions() as db:
        assert service.list_terminals(db, 30)[0].state == "offline"
