"""Announcements set remotely: a profile holding them validates with the kiosk's schema, the staff
console's editor takes them (errors next to the field), and a terminal gets them as a live change."""

from __future__ import annotations

import json
import re
from typing import Any

from kiosk.config import load_config
from kiosk.remote_config import LIVE_KEYS, Accepted, flatten
from server.fleet.profiles import current_profile, effective_config, save_profile, validate_values
from server.models import Terminal
from tests.fleet.conftest import REGION_A, Fleet

UPGRADE = {
    "zh_CN": "系统升级，今晚 22:00 后暂停服务",
    "zh_TW": "系統升級，今晚 22:00 後暫停服務",
    "en": "System upgrade, no service after 22:00 tonight",
    "level": "warning",
    "start": "2026-11-24T08:00:00+08:00",
    "end": "2026-11-25T06:00:00+08:00",
}


def post_profile(client: Any, csrf: str, fields: dict[str, str], scope: str = "terminal", key: str = "T-A1") -> Any:
    data = {"scope": scope, "key": key, "csrf": csrf, **{f"f.{name}": value for name, value in fields.items()}}
    return client.post("/console/profiles/edit", data=data, follow_redirects=False)


def effective_for(fleet: Fleet, terminal_id: str) -> dict[str, Any]:
    with fleet.ctx.sessions() as db:
        terminal = db.get(Terminal, terminal_id)
        return effective_config(db, terminal, None).config


def test_a_profile_with_announcements_validates_and_reaches_the_terminal_as_a_live_change(fleet: Fleet) -> None:
    fleet.register("T-A1", REGION_A)
    values = {"announcements": {"items": [UPGRADE, "本厅周六上午照常办公"], "rotate_seconds": 6}}
    assert validate_values(values) == {}
    with fleet.ctx.sessions.begin() as db:
        save_profile(db, "terminal", "T-A1", values, "test")
    overlay = effective_for(fleet, "T-A1")
    assert overlay == values
    # What the terminal builds from the bundle, and how its applier classifies the change.
    config = load_config(remote_bundle=json.loads(json.dumps(overlay)))
    assert [item.zh_CN for item in config.announcements.items] == [UPGRADE["zh_CN"], "本厅周六上午照常办公"]
    assert config.announcements.items[0].en == UPGRADE["en"]
    changed = set(flatten(overlay))
    assert changed == {"announcements.items", "announcements.rotate_seconds"}
    assert all(key.startswith(LIVE_KEYS) for key in changed)
    assert not Accepted(1, config, overlay, changed).needs_restart


def test_bad_announcements_are_refused_by_the_server_as_by_the_kiosk(fleet: Fleet) -> None:
    errors = validate_values({"announcements": {"items": [{"zh_CN": "通" * 81}], "rotate_seconds": 1}})
    assert errors["announcements.items"].startswith("announcement 1: zh_CN: expected at most 80 characters")
    assert "announcements.rotate_seconds" in errors
    errors = validate_values({"announcements": {"items": [{**UPGRADE, "start": "2026-11-24T08:00:00"}]}})
    assert "start: expected timezone info" in errors["announcements.items"]
    assert validate_values({"announcements": {"colour": "red"}}) == {
        "announcements.colour": "unknown key; check its spelling"
    }


def test_the_editor_shows_the_announcement_fields_and_saves_a_short_notice(fleet: Fleet, staff_client: Any) -> None:
    fleet.register("T-A1", REGION_A)
    client, csrf = staff_client("admin")
    page = client.get("/console/profiles/edit", params={"scope": "terminal", "key": "T-A1"})
    for field in ("announcements.items", "announcements.rotate_seconds"):
        assert f'name="f.{field}"' in page.text, field
    answer = post_profile(
        client, csrf, {"announcements.items": "系统升级，今晚 22:00 后暂停服务", "announcements.rotate_seconds": "5"}
    )
    assert answer.status_code == 303, answer.text
    with fleet.ctx.sessions() as db:
        row = current_profile(db, "terminal", "T-A1")
        assert row.values == {"announcements": {"items": ["系统升级，今晚 22:00 后暂停服务"], "rotate_seconds": 5}}
    config = load_config(remote_bundle=effective_for(fleet, "T-A1"))
    assert config.announcements.items[0].zh_CN == "系统升级，今晚 22:00 后暂停服务"
    assert config.announcements.items[0].level == "info"
    page = client.get("/console/profiles/edit", params={"scope": "terminal", "key": "T-A1"})
    assert re.search(r'name="f\.announcements\.items" value="系统升级，今晚 22:00 后暂停服务"', page.text)


def test_the_editor_shows_an_announcement_error_next_to_its_field(fleet: Fleet, staff_client: Any) -> None:
    fleet.register("T-A1", REGION_A)
    client, csrf = staff_client("admin")
    answer = post_profile(client, csrf, {"announcements.items": "通" * 81})
    assert answer.status_code == 422
    error = re.search(r'id="error-announcements\.items">([^<]+)<', answer.text)
    assert error is not None and "announcement 1: zh_CN: expected at most 80 characters" in error.group(1)
    assert re.search(r'name="f\.announcements\.items" value="[^"]+"[^>]*class="bad"', answer.text)
    with fleet.ctx.sessions() as db:
        assert current_profile(db, "terminal", "T-A1") is None


def test_a_table_typed_into_the_editor_is_never_saved_as_pieces(fleet: Fleet, staff_client: Any) -> None:
    """Whatever the editor does with a list field, a notice written as a JSON table must never
    reach residents cut into fragments at its commas."""
    fleet.register("T-A1", REGION_A)
    client, csrf = staff_client("admin")
    answer = post_profile(client, csrf, {"announcements.items": json.dumps([UPGRADE], ensure_ascii=False)})
    with fleet.ctx.sessions() as db:
        row = current_profile(db, "terminal", "T-A1")
    if answer.status_code == 303:
        assert row is not None and row.values == {"announcements": {"items": [UPGRADE]}}
    else:
        assert answer.status_code == 422 and row is None
        error = re.search(r'id="error-announcements\.items">([^<]+)<', answer.text)
        assert error is not None and "looks like part of a table" in error.group(1), answer.text[-3000:]


def test_the_editor_takes_full_announcements_as_json(fleet: Fleet, staff_client: Any) -> None:
    """Translations, level and time window need the table form. Needs server/fleet/profiles.py to
    read a list field that starts with "[" as a JSON array (parse_field) and show a list of tables
    as JSON (format_field); until then the editor refuses it safely (test above)."""
    fleet.register("T-A1", REGION_A)
    client, csrf = staff_client("admin")
    text = json.dumps([UPGRADE, {"zh_CN": "本厅周六上午照常办公"}], ensure_ascii=False)
    answer = post_profile(client, csrf, {"announcements.items": text})
    assert answer.status_code == 303, "profiles.parse_field must read a JSON array for a list field"
    config = load_config(remote_bundle=effective_for(fleet, "T-A1"))
    assert [(item.level, item.en) for item in config.announcements.items] == [("warning", UPGRADE["en"]), ("info", "")]
    page = client.get("/console/profiles/edit", params={"scope": "terminal", "key": "T-A1"})
    shown = re.search(r'name="f\.announcements\.items" value="([^"]*)"', page.text.replace("&#34;", "&quot;"))
    assert shown is not None and "System upgrade" in shown.group(1)
