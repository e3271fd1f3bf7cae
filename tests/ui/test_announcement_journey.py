"""Announcements pushed through the real fleet path (profile → signed bundle → heartbeat → applier)
show live on the attract screen of the running Kivy app, in English after the language switch,
and never change anything in the middle of a resident's session."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from tests.ui.xscreen import XScreenWatcher

pytestmark = pytest.mark.ui

WARNING_BAND = (255, 232, 158)  # AnnouncementPanel fill for level "warning" (style.kv)
INFO_BAND = (222, 235, 250)  # ... and for level "info"


def band_rows(path, colour, share: float = 0.5) -> int:
    """How many pixel rows of the screenshot are the band's fill colour over more than ``share`` of
    their width."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        width, height = rgb.size
        rows = 0
        for y in range(height):
            matches = sum(
                1
                for x in range(0, width, 8)
                if all(abs(a - b) <= 3 for a, b in zip(rgb.getpixel((x, y)), colour, strict=True))
            )
            rows += matches > (width // 8) * share
        return rows


@pytest.mark.parametrize("font_scale", [1.0, 1.3])  # 1.3: the largest the band's text grows (style.kv)
def test_pushed_announcement_shows_live_and_waits_for_the_session(run_kiosk, xvfb_display, tmp_path, font_scale):
    out_dir = tmp_path / "announcement"
    watcher = XScreenWatcher(xvfb_display, out_dir, tmp_path / "x-grabs")
    local = tmp_path / "kiosk.toml"
    local.write_text(f"[ui]\nfont_scale = {font_scale}\n", encoding="utf-8")
    completed = run_kiosk(
        "--demo",
        "--config",
        str(local),
        "--data-dir",
        str(tmp_path / "demo"),
        "--script",
        "announcement",
        "--output",
        str(out_dir),
        watcher=watcher,
    )
    print(watcher.summary())
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "announcement complete" in completed.stdout
    # On the X display itself: light body, every notice and its 【重要】 marker readable on its band.
    assert len(watcher.reports) == 6 and not watcher.problems(), "\n".join(watcher.problems())
    report = json.loads((out_dir / "journey.json").read_text(encoding="utf-8"))
    assert report["ok"], report
    names = [name.split("-", 1)[1].removesuffix(".png") for name in report["screenshots"]]
    assert names == [
        "announcement",
        "announcement-en",
        "menu-warning",
        "announcements-after-session",
        "announcement-rotated",
        "announcement-long",
    ]
    shots = dict(zip(names, report["screenshots"], strict=True))
    # The warning band is drawn (amber, tens of rows tall); the rotated info notice has the blue look.
    assert band_rows(out_dir / shots["announcement"], WARNING_BAND) >= 40
    assert band_rows(out_dir / shots["announcement-en"], WARNING_BAND) >= 40
    # One line, in the header, between the title and the 长辈模式 switch: about 44 % of the width.
    assert band_rows(out_dir / shots["menu-warning"], WARNING_BAND, share=0.35) >= 30
    assert band_rows(out_dir / shots["announcement-rotated"], INFO_BAND) >= 40
    assert band_rows(out_dir / shots["announcement-rotated"], WARNING_BAND) == 0
    # The dock's long warning wraps: its band is taller than the one-line warning's (the journey
    # checked that the marker stays on the first line, beside the text that wraps under itself).
    one_line = band_rows(out_dir / shots["announcement"], WARNING_BAND)
    assert band_rows(out_dir / shots["announcement-long"], WARNING_BAND) > 1.3 * one_line
    # Applied live: the kiosk never asked to be restarted for it.
    assert "needs a restart" not in completed.stderr
    assert "applying remote config live: announcements.items" in completed.stderr
