"""Lockdown and the staff's maintenance screen in the real app on Xvfb: a window close is refused
in lockdown; five taps in the top-left corner and the staff PIN (only its hash in the config,
cli.ui.SCRIPT_SETTINGS) open the maintenance screen; staff print a test page, stop and resume
service. Each screenshot keeps the legibility rules (demo.player.StoryPlayer.check_legible)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.ui


def test_staff_reach_maintenance_by_the_hidden_gesture_and_pin(run_kiosk, tmp_path):
    out_dir = tmp_path / "staff"
    completed = run_kiosk("--demo", "--data-dir", str(tmp_path / "demo"), "--script", "staff", "--output", str(out_dir))
    assert completed.returncode == 0, completed.stdout + completed.stderr[-4000:]
    report = json.loads((out_dir / "journey.json").read_text(encoding="utf-8"))
    assert report["ok"], report
    names = [name.split("-", 1)[1].removesuffix(".png") for name in report["screenshots"]]
    assert names == ["staff-pin", "staff-unlocked", "staff-test-page", "out-of-service", "staff-pin", "attract-again"]
    assert "window close refused" in completed.stderr or "window close refused" in completed.stdout
