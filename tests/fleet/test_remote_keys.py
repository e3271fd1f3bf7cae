"""Remote config cannot redirect a terminal, and cannot be rolled back.

Endpoints and devices are local only (``common.config.REMOTE_KEYS``): the fleet console and the
profile validation refuse them with their reason; a signed bundle that still carries them has them
ignored (and logged) by the terminal, and stored profiles from before the rule never sign them.
The highest bundle version seen is kept in its own file, so a lost or corrupt cache does not let
an older signed bundle back in; ``issued_at`` is checked.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.bundles import BundleRejected, public_key_b64, sign_bundle, verify_envelope
from common.config import REMOTE_REFUSAL_EN, REMOTE_REFUSAL_ZH, remote_key_allowed
from kiosk.config import load_config
from kiosk.remote_config import BUNDLE_FILE, VERSION_FILE, RemoteConfig, pin_server_key
from server.fleet.models import ConfigProfile
from server.fleet.profiles import ProfileInvalid, current_profile, defaults, flatten, save_profile, validate_values
from server.fleet.signing import load_or_create_key
from tests.fleet.conftest import REGION_A, Fleet

REDIRECTS: dict[str, Any] = {
    "server": {"url": "https://collector.example"},
    "printer": {"kind": "file", "path": "/tmp/residents.bin", "host": "198.51.100.7"},
    "camera": {"source": "rtsp://198.51.100.7/frames"},
}
ENDPOINT_WORDS = {"url", "host", "port", "path", "device", "source", "font_path", "data_dir", "kind", "reader", "id"}


def bundle(key: Ed25519PrivateKey, version: int, config: dict[str, Any], issued: str = "2026-11-24T00:00:00+00:00"):
    body = {"version": version, "terminal_id": "T1", "issued_at": issued, "config": config, "origin": {}}
    return sign_bundle(key, body)


@pytest.fixture
def key(tmp_path: Path) -> Ed25519PrivateKey:
    return load_or_create_key(tmp_path / "server")


@pytest.fixture
def remote(tmp_path: Path, key: Ed25519PrivateKey) -> RemoteConfig:
    data = tmp_path / "kiosk"
    pin_server_key(data, public_key_b64(key), "k1")
    local = tmp_path / "local.toml"
    local.write_text('[terminal]\nid = "T1"\nregion = "320583"\n', encoding="utf-8")
    return RemoteConfig(data, "T1", lambda overlay: load_config(local, remote_bundle=overlay))


# ----------------------------------------------------------------------------- the allow-list
def test_no_endpoint_or_device_key_is_remotely_settable() -> None:
    allowed = [k for k in flatten(defaults()) if remote_key_allowed(k)]
    assert "session.idle_timeout" in allowed and "announcements.items" in allowed
    assert "terminal.language" in allowed and "ui.font_scale" in allowed
    assert not [k for k in allowed if k.rsplit(".", 1)[-1] in ENDPOINT_WORDS or k.startswith(("server.", "printer."))]


@pytest.mark.parametrize(
    "dotted,value",
    [
        ("server.url", "https://collector.example"),
        ("printer.host", "198.51.100.7"),
        ("printer.kind", "file"),
        ("printer.path", "/tmp/residents.bin"),
        ("camera.source", "rtsp://198.51.100.7/frames"),
        ("card.reader", "Evil"),
        ("ui.font_path", "/tmp/x.ttf"),
    ],
)
def test_profile_validation_refuses_endpoints_and_devices(dotted: str, value: str) -> None:
    section, name = dotted.split(".")
    errors = validate_values({section: {name: value}, "session": {"idle_timeout": 90}})
    assert list(errors) == [dotted]
    assert REMOTE_REFUSAL_ZH in errors[dotted] and REMOTE_REFUSAL_EN in errors[dotted]


def test_saving_a_redirecting_profile_stores_nothing(fleet: Fleet) -> None:
    with fleet.ctx.sessions.begin() as db, pytest.raises(ProfileInvalid) as refused:
        save_profile(db, "region", REGION_A, REDIRECTS, "op_a")
    assert set(refused.value.errors) == {"server.url", "printer.kind", "printer.path", "printer.host", "camera.source"}
    with fleet.ctx.sessions() as db:
        assert current_profile(db, "region", REGION_A) is None


def test_the_console_refuses_a_crafted_endpoint_field(fleet: Fleet, staff_client: Any) -> None:
    client, csrf = staff_client("op_a")
    page = client.get(f"/console/profiles/edit?scope=region&key={REGION_A}").text
    assert 'name="f.server.url"' not in page and 'name="f.printer.path"' not in page  # not offered
    answer = client.post(
        "/console/profiles/edit",
        data={
            "scope": "region",
            "key": REGION_A,
            "csrf": csrf,
            "f.session.idle_timeout": "90",
            "f.server.url": "https://collector.example",
            "f.camera.source": "rtsp://198.51.100.7/frames",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 422
    assert f"server.url: {REMOTE_REFUSAL_ZH}" in answer.text and "camera.source" in answer.text
    with fleet.ctx.sessions() as db:
        assert current_profile(db, "region", REGION_A) is None


def test_a_stored_profile_from_before_the_rule_never_signs_its_endpoints(fleet: Fleet) -> None:
    token = fleet.register("T-A1", REGION_A)
    with fleet.ctx.sessions.begin() as db:  # written straight to the table, as an old version would have
        values = {**REDIRECTS, "session": {"idle_timeout": 90}}
        db.add(ConfigProfile(scope="region", scope_key=REGION_A, version=1, values=values, created_by="old",
                             created_at=dt.datetime.now(dt.UTC)))  # fmt: skip
    with fleet.client() as client:
        answer = client.get("/api/v1/terminal/config", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.json()["bundle"]["config"] == {"session": {"idle_timeout": 90}}


# ----------------------------------------------------------------------------- the terminal ignores them
def test_the_terminal_ignores_and_logs_endpoints_in_a_signed_bundle(
    remote: RemoteConfig, key: Ed25519PrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    before = load_config(remote.data_dir.parent / "local.toml")
    with caplog.at_level(logging.WARNING, logger="kiosk"):
        accepted = remote.accept(bundle(key, 3, {**REDIRECTS, "session": {"countdown": 20}}))
    config = accepted.config
    assert config.session.countdown == 20
    assert config.server.url == before.server.url
    assert (config.printer.kind, config.printer.path, config.printer.host) == (
        before.printer.kind,
        before.printer.path,
        before.printer.host,
    )
    assert config.camera.source == before.camera.source
    assert accepted.changed == {"session.countdown"} and not accepted.needs_restart
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    for dotted in ("server", "printer", "camera"):
        assert dotted in warning
    assert "collector.example" not in warning  # names only, never the values
    # Booting from the cache applies the same rule.
    rebooted = RemoteConfig(remote.data_dir, "T1", remote._build)
    assert rebooted.load_cached() == {"session": {"countdown": 20}}


def test_load_config_drops_local_only_keys_of_a_remote_overlay() -> None:
    config = load_config(remote_bundle={"printer": {"kind": "file", "path": "/tmp/x.bin"}, "ui": {"font_scale": 1.3}})
    assert config.printer.kind != "file" and config.ui.font_scale == 1.3


# ----------------------------------------------------------------------------- rollback
@pytest.mark.parametrize("damage", ["deleted", "corrupt"])
def test_a_lost_or_corrupt_cache_does_not_let_an_older_bundle_back(
    remote: RemoteConfig, key: Ed25519PrivateKey, damage: str
) -> None:
    old = bundle(key, 4, {"session": {"countdown": 10}})
    remote.accept(old)
    remote.accept(bundle(key, 5, {"session": {"countdown": 20}}))
    cache = remote.data_dir / BUNDLE_FILE
    if damage == "deleted":
        cache.unlink()
    else:
        cache.write_text("{not json", encoding="utf-8")
    rebooted = RemoteConfig(remote.data_dir, "T1", remote._build)
    assert rebooted.load_cached() is None and rebooted.version is None
    with pytest.raises(BundleRejected) as refused:
        rebooted.accept(old)
    assert refused.value.reason == "replayed"
    with pytest.raises(BundleRejected) as other_values:  # the same version number with other values
        rebooted.accept(bundle(key, 5, {"session": {"countdown": 99}}))
    assert other_values.value.reason == "replayed"
    # The current bundle, fetched again (a fresh issued_at), is taken and cached again.
    again = rebooted.accept(bundle(key, 5, {"session": {"countdown": 20}}, issued="2026-11-25T00:00:00+00:00"))
    assert again is not None and again.config.session.countdown == 20 and cache.exists()


def test_a_cache_older_than_the_highest_version_seen_is_not_booted(
    remote: RemoteConfig, key: Ed25519PrivateKey
) -> None:
    old = bundle(key, 4, {"session": {"countdown": 10}})
    remote.accept(old)
    remote.accept(bundle(key, 5, {"session": {"countdown": 20}}))
    (remote.data_dir / BUNDLE_FILE).write_text(json.dumps(old), encoding="utf-8")  # an older, genuine cache
    assert RemoteConfig(remote.data_dir, "T1", remote._build).load_cached() is None


def test_a_cache_from_before_the_version_record_becomes_the_floor(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    remote.accept(bundle(key, 6, {"session": {"countdown": 20}}))
    (remote.data_dir / VERSION_FILE).unlink()
    assert RemoteConfig(remote.data_dir, "T1", remote._build).load_cached() is not None
    assert json.loads((remote.data_dir / VERSION_FILE).read_text())["version"] == 6
    (remote.data_dir / BUNDLE_FILE).unlink()
    with pytest.raises(BundleRejected):
        RemoteConfig(remote.data_dir, "T1", remote._build).accept(bundle(key, 5, {}))


@pytest.mark.parametrize("issued", [None, "", "yesterday", "2026-11-24T00:00:00"])
def test_issued_at_must_be_a_time_with_an_offset(remote: RemoteConfig, key: Ed25519PrivateKey, issued: Any) -> None:
    with pytest.raises(BundleRejected) as refused:
        remote.accept(bundle(key, 2, {}, issued=issued))
    assert refused.value.reason == "malformed"


def test_a_newer_version_issued_well_before_the_newest_seen_is_refused(
    remote: RemoteConfig, key: Ed25519PrivateKey
) -> None:
    remote.accept(bundle(key, 5, {}, issued="2026-11-24T12:00:00+00:00"))
    with pytest.raises(BundleRejected) as refused:
        remote.accept(bundle(key, 6, {}, issued="2026-11-20T12:00:00+00:00"))
    assert refused.value.reason == "replayed"
    # A server clock stepped back by a few seconds is tolerated.
    assert remote.accept(bundle(key, 6, {}, issued="2026-11-24T11:59:30+00:00")) is not None
    assert verify_envelope(json.loads((remote.data_dir / BUNDLE_FILE).read_text()), remote.public_key, "T1")
