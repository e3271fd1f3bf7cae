"""Terminal side of remote config: signature, replay, values, cache, and when changes apply."""

from __future__ import annotations

import copy
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.bundles import BundleRejected, public_key_b64, sign_bundle
from common.config import KioskConfig
from kiosk.config import load_config
from kiosk.remote_config import (
    BUNDLE_FILE,
    KEY_FILE,
    ConfigApplier,
    RemoteConfig,
    load_pinned_key,
    pin_server_key,
)
from server.fleet.signing import load_or_create_key


def make_bundle(key: Ed25519PrivateKey, version: int, config: dict[str, Any], terminal_id: str = "T1") -> dict:
    return sign_bundle(
        key,
        {
            "version": version,
            "terminal_id": terminal_id,
            "issued_at": "2026-11-24T00:00:00+00:00",
            "config": config,
            "origin": {},
        },
    )


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


def test_server_key_file_is_private(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    path = tmp_path / "server" / "fleet_signing_key.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert public_key_b64(load_or_create_key(tmp_path / "server")) == public_key_b64(key)


def test_accepts_and_caches_a_good_bundle(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    accepted = remote.accept(make_bundle(key, 5, {"session": {"idle_timeout": 90}}))
    assert accepted is not None and accepted.version == 5
    assert accepted.config.session.idle_timeout == 90
    assert accepted.changed == {"session.idle_timeout"}
    cache = remote.data_dir / BUNDLE_FILE
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    assert remote.accept(make_bundle(key, 5, {"session": {"idle_timeout": 90}})) is None  # same version: no-op


def test_tampered_bundle_is_refused_and_last_good_kept(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    remote.accept(make_bundle(key, 5, {"session": {"idle_timeout": 90}}))
    tampered = make_bundle(key, 6, {"session": {"idle_timeout": 100}})
    tampered["bundle"]["config"]["session"]["idle_timeout"] = 3000
    with pytest.raises(BundleRejected) as info:
        remote.accept(tampered)
    assert info.value.reason == "bad_signature"
    assert info.value.message_key == "config.bundle_rejected"
    assert remote.version == 5 and remote.overlay == {"session": {"idle_timeout": 90}}
    assert json.loads((remote.data_dir / BUNDLE_FILE).read_text())["bundle"]["version"] == 5


def test_bundle_signed_by_another_key_is_refused(remote: RemoteConfig) -> None:
    with pytest.raises(BundleRejected) as info:
        remote.accept(make_bundle(Ed25519PrivateKey.generate(), 9, {}))
    assert info.value.reason == "bad_signature"


def test_garbage_signature_is_refused(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    envelope = make_bundle(key, 9, {})
    envelope["signature"] = "not base64!!"
    with pytest.raises(BundleRejected):
        remote.accept(envelope)
    with pytest.raises(BundleRejected) as info:
        remote.accept({"no": "bundle"})
    assert info.value.reason == "malformed"


def test_replayed_old_bundle_is_refused(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    old = make_bundle(key, 3, {"session": {"idle_timeout": 30}})
    remote.accept(old)
    remote.accept(make_bundle(key, 4, {"session": {"idle_timeout": 90}}))
    with pytest.raises(BundleRejected) as info:
        remote.accept(old)
    assert info.value.reason == "replayed"
    assert remote.version == 4


def test_bundle_for_another_terminal_is_refused(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    with pytest.raises(BundleRejected) as info:
        remote.accept(make_bundle(key, 7, {}, terminal_id="T2"))
    assert info.value.reason == "wrong_terminal"


def test_signed_bundle_with_a_bad_value_is_refused(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    with pytest.raises(BundleRejected) as info:
        remote.accept(make_bundle(key, 8, {"session": {"idle_timeout": 1}}))
    assert info.value.reason == "invalid_values"
    assert "session.idle_timeout" in info.value.detail
    with pytest.raises(BundleRejected):
        remote.accept(make_bundle(key, 8, {"session": {"no_such_key": 1}}))
    assert remote.version is None


def test_no_pinned_key_refuses_everything(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    remote = RemoteConfig(tmp_path / "empty", "T1", lambda overlay: load_config(remote_bundle=overlay))
    with pytest.raises(BundleRejected) as info:
        remote.accept(make_bundle(key, 1, {}))
    assert info.value.reason == "no_pinned_key"


def test_pin_is_not_silently_replaced(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    other = public_key_b64(Ed25519PrivateKey.generate())
    with pytest.raises(BundleRejected):
        pin_server_key(remote.data_dir, other)
    pin_server_key(remote.data_dir, public_key_b64(key))  # the same key again is fine
    pin_server_key(remote.data_dir, other, replace=True)  # re-enrolment
    assert stat.S_IMODE(os.stat(remote.data_dir / KEY_FILE).st_mode) == 0o600
    assert load_pinned_key(remote.data_dir) is not None


def test_boots_offline_from_the_cache(remote: RemoteConfig, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    remote.accept(make_bundle(key, 5, {"terminal": {"language": "en"}}))
    rebooted = RemoteConfig(remote.data_dir, "T1", remote._build)
    overlay = rebooted.load_cached()
    assert overlay == {"terminal": {"language": "en"}}
    assert rebooted.version == 5
    assert load_config(tmp_path / "local.toml", remote_bundle=overlay).terminal.language == "en"


def test_tampered_cache_is_ignored_at_boot(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    remote.accept(make_bundle(key, 5, {"terminal": {"language": "en"}}))
    cache = remote.data_dir / BUNDLE_FILE
    envelope = json.loads(cache.read_text())
    envelope["bundle"]["config"]["terminal"]["language"] = "zh_TW"
    cache.write_text(json.dumps(envelope))
    rebooted = RemoteConfig(remote.data_dir, "T1", remote._build)
    assert rebooted.load_cached() is None
    assert rebooted.version is None


class Recorder:
    def __init__(self) -> None:
        self.idle = False
        self.live: list[set[str]] = []
        self.restart: list[set[str]] = []

    def applier(self) -> ConfigApplier:
        return ConfigApplier(
            lambda: self.idle, lambda cfg, keys: self.live.append(keys), lambda cfg, keys: self.restart.append(keys)
        )


def test_live_keys_wait_for_idle_then_apply_without_restart(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    rec = Recorder()
    applier = rec.applier()
    applier.offer(
        remote.accept(
            make_bundle(key, 1, {"services": {"enabled": ["insurance_info"]}, "terminal": {"language": "en"}})
        )
    )
    assert rec.live == [] and applier.pending is not None  # a resident is using the kiosk
    assert applier.tick() is None
    rec.idle = True
    assert applier.tick() == "live"
    assert rec.live == [{"services.enabled", "terminal.language"}] and rec.restart == []
    assert applier.applied_version == 1


def test_ui_keys_need_a_restart_at_idle(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    rec = Recorder()
    applier = rec.applier()
    applier.offer(remote.accept(make_bundle(key, 1, {"ui": {"font_scale": 1.3}})))
    applier.offer(remote.accept(make_bundle(key, 2, {"ui": {"font_scale": 1.3}, "session": {"countdown": 20}})))
    rec.idle = True
    assert applier.tick() == "restart"
    assert rec.restart == [{"ui.font_scale", "session.countdown"}]
    assert applier.applied_version == 2


def test_accepted_config_is_a_full_kiosk_config(remote: RemoteConfig, key: Ed25519PrivateKey) -> None:
    accepted = remote.accept(make_bundle(key, 1, copy.deepcopy({"session": {"countdown": 30}})))
    assert isinstance(accepted.config, KioskConfig)
    assert accepted.config.session.countdown == 30
    assert accepted.config.terminal.id == "T1"
