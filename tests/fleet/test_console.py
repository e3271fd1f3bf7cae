"""Staff console: login, rate limit, CSRF, roles and regions, profile editor, diff, rollback, audit."""

from __future__ import annotations

import re
from typing import Any

import pytest

from server.fleet import service
from server.fleet.models import AuditEntry, FleetCommand, StaffSession
from server.fleet.profiles import current_profile
from tests.fleet.conftest import REGION_A, REGION_B, Fleet, csrf_of, login


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    """Every test here runs on SQLite and on PostgreSQL (tests/fleet/conftest.py: ``fleet``)."""
    return request.param


def test_pages_need_a_login(fleet: Fleet) -> None:
    with fleet.client() as client:
        for path in (
            "/console/",
            "/console/terminals/X",
            "/console/profiles",
            "/console/audit",
            "/console/certificates",
        ):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/console/login?next=")


def test_login_and_logout(fleet: Fleet) -> None:
    with fleet.client() as client:
        answer = login(client, "admin")
        assert answer.status_code == 303 and answer.headers["location"] == "/console/"
        assert "httponly" in answer.headers["set-cookie"].lower()
        assert "samesite=strict" in answer.headers["set-cookie"].lower()
        page = client.get("/console/")
        assert page.status_code == 200 and "总览" in page.text
        assert "script-src" not in page.headers["content-security-policy"]  # no scripts at all
        client.post("/console/logout", data={"csrf": csrf_of(page.text)})
        assert client.get("/console/", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_user(fleet: Fleet) -> None:
    with fleet.client() as client:
        assert login(client, "admin", "wrong password").status_code == 401
        assert login(client, "nobody", "wrong password").status_code == 401
    with fleet.ctx.sessions() as db:
        assert db.query(AuditEntry).filter_by(action="login_failed").count() == 2


def test_login_is_rate_limited(fleet: Fleet) -> None:
    with fleet.client() as client:
        for _ in range(5):
            assert login(client, "admin", "guess").status_code == 401
        blocked = login(client, "admin")  # even the right password, until the window passes
        assert blocked.status_code == 429
        assert "登录失败次数过多" in blocked.text


def test_login_without_csrf_is_refused(fleet: Fleet) -> None:
    with fleet.client() as client:
        answer = client.post("/console/login", data={"username": "admin", "password": "x", "csrf": "forged"})
        assert answer.status_code == 403


def test_expired_session_is_refused(fleet: Fleet, staff_client: Any) -> None:
    client, _csrf = staff_client("admin")
    with fleet.ctx.sessions.begin() as db:
        for row in db.query(StaffSession).all():
            row.expires_at = service.utcnow() - service.dt.timedelta(seconds=1)
    assert client.get("/console/", follow_redirects=False).status_code == 303


POSTS: list[tuple[str, dict[str, str]]] = [
    ("/console/terminals", {"terminal_id": "T-NEW", "region": REGION_A}),
    ("/console/terminals/T-A1/commands", {"kind": "maintenance_on"}),
    ("/console/terminals/T-A1/revoke", {}),
    ("/console/profiles/edit", {"scope": "region", "key": REGION_A, "f.session.idle_timeout": "90"}),
    ("/console/profiles/rollback", {"scope": "region", "key": REGION_A, "version": "1"}),
    ("/console/logout", {}),
]


@pytest.mark.parametrize("path,data", POSTS)
def test_every_form_needs_the_csrf_token(fleet: Fleet, staff_client: Any, path: str, data: dict[str, str]) -> None:
    fleet.register("T-A1", REGION_A)
    client, csrf = staff_client("admin")
    assert client.post(path, data=data, follow_redirects=False).status_code == 403
    assert client.post(path, data={**data, "csrf": csrf + "x"}, follow_redirects=False).status_code == 403
    with fleet.ctx.sessions() as db:
        assert db.query(FleetCommand).count() == 0
        assert current_profile(db, "region", REGION_A) is None
        assert not service.is_revoked(db, "T-A1")


def test_viewer_reads_but_cannot_act(fleet: Fleet, staff_client: Any) -> None:
    fleet.register("T-A1", REGION_A)
    client, csrf = staff_client("viewer")
    assert client.get("/console/terminals/T-A1").status_code == 200
    assert 'id="command-submit"' not in client.get("/console/terminals/T-A1").text
    for path, data in POSTS[:5]:
        assert client.post(path, data={**data, "csrf": csrf}, follow_redirects=False).status_code == 403, path
    with fleet.ctx.sessions() as db:
        assert db.query(FleetCommand).count() == 0


def test_operator_acts_in_own_region_only(fleet: Fleet, staff_client: Any) -> None:
    fleet.register("T-A1", REGION_A)
    fleet.register("T-B1", REGION_B)
    client, csrf = staff_client("op_a")
    ok = client.post(
        "/console/terminals/T-A1/commands", data={"kind": "print_test_page", "csrf": csrf}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert (
        client.post(
            "/console/terminals/T-B1/commands", data={"kind": "print_test_page", "csrf": csrf}, follow_redirects=False
        ).status_code
        == 403
    )
    assert client.post("/console/terminals/T-B1/revoke", data={"csrf": csrf}).status_code == 403
    assert (
        client.post("/console/terminals", data={"terminal_id": "T-B9", "region": REGION_B, "csrf": csrf}).status_code
        == 403
    )
    # Taking over another region's terminal by re-registering it into one's own region is refused too.
    assert (
        client.post("/console/terminals", data={"terminal_id": "T-B1", "region": REGION_A, "csrf": csrf}).status_code
        == 403
    )
    profile = {"f.session.idle_timeout": "90", "csrf": csrf}
    assert (
        client.post(
            "/console/profiles/edit", data={**profile, "scope": "region", "key": REGION_A}, follow_redirects=False
        ).status_code
        == 303
    )
    assert (
        client.post(
            "/console/profiles/edit",
            data={**profile, "scope": "site", "key": f"{REGION_A}/花桥"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert (
        client.post(
            "/console/profiles/edit", data={**profile, "scope": "terminal", "key": "T-A1"}, follow_redirects=False
        ).status_code
        == 303
    )
    for scope, key in (("region", REGION_B), ("site", f"{REGION_B}/x"), ("terminal", "T-B1"), ("global", "")):
        assert (
            client.post(
                "/console/profiles/edit", data={**profile, "scope": scope, "key": key}, follow_redirects=False
            ).status_code
            == 403
        ), scope
    with fleet.ctx.sessions() as db:
        assert [c.terminal_id for c in db.query(FleetCommand).all()] == ["T-A1"]


def test_admin_registers_a_terminal_and_sees_the_code(fleet: Fleet, staff_client: Any) -> None:
    client, csrf = staff_client("admin")
    page = client.post(
        "/console/terminals",
        data={"terminal_id": "T-NEW", "region": REGION_B, "site": "南城", "address": "南城街道1号", "csrf": csrf},
    )
    assert page.status_code == 200
    code = re.search(r'id="enrol-code">([A-Z0-9]+)<', page.text).group(1)
    answer = client.post("/api/v1/terminals/enroll", json={"terminal_id": "T-NEW", "code": code})
    assert answer.status_code == 200
    assert (
        client.post("/console/terminals", data={"terminal_id": "bad id!", "region": REGION_B, "csrf": csrf}).status_code
        == 422
    )


def test_profile_errors_are_shown_next_to_the_field(fleet: Fleet, staff_client: Any) -> None:
    client, csrf = staff_client("admin")
    answer = client.post(
        "/console/profiles/edit",
        data={
            "scope": "global",
            "key": "",
            "csrf": csrf,
            "f.session.idle_timeout": "2",
            "f.terminal.language": "fr",
            "f.services.enabled": "insurance_info, no_such_service",
            "f.printer.port": "9100",
        },
    )
    assert answer.status_code == 422
    for field in ("session.idle_timeout", "terminal.language", "services.enabled"):
        assert f'id="error-{field}"' in answer.text, field
        assert re.search(rf'name="f\.{re.escape(field)}" value="[^"]+"[^>]*class="bad"', answer.text), field
    assert 'id="error-printer.port"' not in answer.text  # not an editable field: local only
    assert "printer.port: 仅限终端本机设置" in answer.text  # refused, with its reason, not dropped
    with fleet.ctx.sessions() as db:
        assert current_profile(db, "global", "") is None


def test_diff_and_rollback(fleet: Fleet, staff_client: Any) -> None:
    client, csrf = staff_client("admin")
    base = {"scope": "region", "key": REGION_A, "csrf": csrf}
    client.post("/console/profiles/edit", data={**base, "f.session.idle_timeout": "90"})
    client.post("/console/profiles/edit", data={**base, "f.session.idle_timeout": "120", "f.terminal.language": "en"})
    diff = client.get("/console/profiles/diff", params={"scope": "region", "key": REGION_A, "a": 1, "b": 2})
    assert diff.status_code == 200
    assert re.search(r"<td>session.idle_timeout</td><td>90</td><td>120</td>", diff.text)
    assert re.search(r"<td>terminal.language</td><td>—</td><td>en</td>", diff.text)
    answer = client.post("/console/profiles/rollback", data={**base, "version": "1"}, follow_redirects=False)
    assert answer.status_code == 303
    with fleet.ctx.sessions() as db:
        row = current_profile(db, "region", REGION_A)
        assert (row.version, row.values, row.comment) == (3, {"session": {"idle_timeout": 90}}, "rollback to v1")
        actions = [a.action for a in db.query(AuditEntry).order_by(AuditEntry.id)]
        assert actions.count("profile_save") == 2 and "profile_rollback" in actions


def test_terminal_page_shows_origin_health_and_commands(fleet: Fleet, staff_client: Any) -> None:
    token = fleet.register("T-A1", REGION_A, "花桥")
    client, csrf = staff_client("admin")
    client.post(
        "/console/profiles/edit",
        data={"scope": "site", "key": f"{REGION_A}/花桥", "csrf": csrf, "f.session.idle_timeout": "75"},
    )
    beat = {"app_version": "9.9", "uptime_seconds": 1, "devices": {"printer": {"status": "error", "paper": "out"}}}
    client.post("/api/v1/terminal/heartbeat", json=beat, headers={"Authorization": f"Bearer {token}"})
    client.post("/console/terminals/T-A1/commands", data={"kind": "maintenance_on", "csrf": csrf})
    page = client.get("/console/terminals/T-A1").text
    assert re.search(
        r'data-key="session.idle_timeout"><td>session.idle_timeout</td><td>75</td><td>site:320583/花桥', page
    )
    assert "9.9" in page and "缺纸" in page and "进入维护模式" in page
    dashboard = client.get("/console/").text
    assert 'id="paper-warnings"' in dashboard and "T-A1" in dashboard


def test_audit_log_filters(fleet: Fleet, staff_client: Any) -> None:
    fleet.register("T-A1", REGION_A)
    client, csrf = staff_client("admin")
    client.post("/console/terminals/T-A1/commands", data={"kind": "restart_app", "csrf": csrf})
    page = client.get("/console/audit", params={"action": "command_queue", "actor": "admin"}).text
    rows = re.findall(r"<tr><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]*)</td><td>([^<]*)</td>", page)
    assert rows == [("admin", "command_queue", "T-A1", "#1 restart_app")]
    assert "testclient" in page or "127.0.0.1" in page  # the source address is recorded
    none = client.get("/console/audit", params={"action": "command_queue", "since": "2999-01-01"}).text
    assert "restart_app" not in none


def test_language_switch(fleet: Fleet, staff_client: Any) -> None:
    client, _csrf = staff_client("viewer")
    client.get("/console/lang/en", params={"next": "/console/audit"})
    assert "Audit log" in client.get("/console/audit").text
    answer = client.get("/console/lang/zh", params={"next": "https://evil.example/"}, follow_redirects=False)
    assert answer.headers["location"] == "/console/"


def test_certificate_lookup(fleet: Fleet, staff_client: Any) -> None:
    from server.models import Certificate

    fleet.register("T-A1", REGION_A)
    with fleet.ctx.sessions.begin() as db:
        db.add(
            Certificate(
                serial="CB202611240000000001",
                kind="insured",
                ssn="110101199003070012",
                period_from="2020-01",
                period_to="2026-10",
                issued_at=service.utcnow(),
                terminal_id="T-A1",
                session_id=None,
                idempotency_key="k1",
                content={"person": {"name": "张三丰"}},
                content_hash="ab" * 32,
                verification_code="7KQ2M9",
                reprint_count=1,
            )
        )
    client, _csrf = staff_client("viewer")
    page = client.get("/console/certificates", params={"serial": "CB202611240000000001", "code": "7kq2m9"}).text
    assert "验证码一致" in page and "110101199003070012" not in page and "张三丰" not in page
    assert "T-A1" in page
    wrong = client.get("/console/certificates", params={"serial": "CB202611240000000001", "code": "XXXXXX"}).text
    assert "验证码不一致" in wrong
    assert 'id="not-found"' in client.get("/console/certificates", params={"serial": "CB000"}).text
