"""长辈模式 in the real app on Xvfb: the resident turns it on from the header, it holds for their
session, and every screenshot of the story (both modes) keeps the legibility rules of its mode;
the story fails naming the widget that does not (demo.player.StoryPlayer.check_legible)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.ui


def test_elder_mode_story_keeps_the_rules_of_both_modes(run_kiosk, tmp_path):
    out_dir = tmp_path / "elder"
    completed = run_kiosk(
        "--demo", "--data-dir", str(tmp_path / "demo"), "--script", "elder-mode", "--output", str(out_dir)
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-4000:]
    report = json.loads((out_dir / "journey.json").read_text(encoding="utf-8"))
    assert report["ok"], report
    names = [name.split("-", 1)[1].removesuffix(".png") for name in report["screenshots"]]
    assert "attract-elder" in names and "remove-card-elder" in names and names[-1] == "attract-again"
