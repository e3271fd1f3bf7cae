"""修改社保卡密码 in the real Kivy app on Xvfb (``main.py --demo --script change-pin``): a wrong old
PIN shows the tries left; the right one and a new PIN twice change the PIN on the demo card (on the
shuffled pad); the same card then signs in with the new PIN, and nothing of the resident is left."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.ui

SHOTS = ["menu", "old-pin", "wrong-old-pin", "new-pin", "changed", "signed-in-with-new-pin"]


def test_change_pin_then_sign_in_with_the_new_pin(run_kiosk, tmp_path):
    out_dir = tmp_path / "change-pin"
    completed = run_kiosk(
        "--demo", "--data-dir", str(tmp_path / "demo"), "--script", "change-pin", "--output", str(out_dir)
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-4000:]
    report = json.loads((out_dir / "journey.json").read_text(encoding="utf-8"))
    assert report["ok"], report
    assert [name.split("-", 1)[1].removesuffix(".png") for name in report["screenshots"]] == SHOTS
    logs = completed.stdout + completed.stderr
    assert "802731" not in logs, "a PIN reached the log"
