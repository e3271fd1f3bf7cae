"""The demo dock's "推送通知 Push notice": DemoWorld pushes a sample warning through the real fleet
path (a new profile version on the embedded gateway, fetched and verified by the kiosk as a signed
bundle) and withdraws it on the second press."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cli.demo_world import SAMPLE_NOTICE, DemoWorld
from common.config import KioskConfig
from kiosk.config import load_config
from kiosk.fleet_client import sync_config_now
from kiosk.remote_config import RemoteConfig


@pytest.fixture
def world(tmp_path: Path):
    demo = DemoWorld(tmp_path / "demo", use_pcscd=False, persons=2)
    demo.start()
    yield demo
    demo.stop()


def kiosk_config_after_sync(world: DemoWorld) -> KioskConfig:
    """What the kiosk applies at a later heartbeat: the new signed bundle, verified and cached. The
    gateway notices a new profile version within about a second, so the sync is tried a few times."""
    kiosk_dir = world.data_dir / "kiosk"

    def build(overlay):
        return load_config(remote_bundle=overlay)

    deadline = time.monotonic() + 10
    outcome = sync_config_now(kiosk_dir, build)
    while outcome["reason"] == "up to date" and time.monotonic() < deadline:
        time.sleep(0.2)
        outcome = sync_config_now(kiosk_dir, build)
    assert outcome == {"applied": True, "version": outcome["version"], "reason": None}, outcome
    return build(RemoteConfig(kiosk_dir, world.server.terminal_id, build).load_cached())


def test_push_notice_shows_the_sample_warning_and_a_second_press_withdraws_it(world):
    assert not world.notice_pushed
    assert world.toggle_notice() is True and world.notice_pushed
    items = kiosk_config_after_sync(world).announcements.items
    assert [(item.zh_CN, item.en, item.level) for item in items] == [
        (SAMPLE_NOTICE["zh_CN"], SAMPLE_NOTICE["en"], "warning")
    ]
    assert world.toggle_notice() is False and not world.notice_pushed
    assert kiosk_config_after_sync(world).announcements.items == []


def test_the_sample_is_a_long_warning_within_the_limits_a_kiosk_accepts():
    config = load_config(overrides=[{"announcements": {"items": [SAMPLE_NOTICE]}}])
    item = config.announcements.items[0]
    assert item.level == "warning" and item.zh_TW
    # Long enough to wrap on the attract screen at every font scale (about 25 characters a line).
    assert len(item.zh_CN) > 50 and " " not in item.zh_CN
