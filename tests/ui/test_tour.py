"""The tour (`main.py --demo --script tour`) on Xvfb: every screen of every catalogue service, in
both display modes and all three languages, one opaque PNG each and tour.json listing them; every
screenshot keeps the legibility rules of its mode (demo.player.StoryPlayer.check_legible)."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from kiosk.i18n import LANGUAGES
from kiosk.services import CATALOGUE
from tests.ui.xscreen import opaque_rgb

pytestmark = pytest.mark.ui

# Every service (about 30 now) in 2 modes × 3 languages: longer than the suite's 300 s default.
TOUR_TIMEOUT = 1500


@pytest.mark.timeout(TOUR_TIMEOUT)
def test_the_tour_covers_every_service_mode_and_language(run_kiosk, tmp_path):
    out_dir = tmp_path / "tour"
    completed = run_kiosk(
        "--demo",
        "--data-dir",
        str(tmp_path / "demo"),
        "--script",
        "tour",
        "--output",
        str(out_dir),
        timeout=TOUR_TIMEOUT - 60,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-4000:]
    entries = json.loads((out_dir / "tour.json").read_text(encoding="utf-8"))
    assert set(LANGUAGES) == {"zh_CN", "zh_TW", "en"}
    covered = {(entry["service"], entry["mode"], entry["language"]) for entry in entries}
    for service in CATALOGUE:
        for mode in ("normal", "elder"):
            for language in LANGUAGES:
                assert (service, mode, language) in covered, (service, mode, language)
    assert {entry["mode"] for entry in entries} == {"normal", "elder"}
    files = [entry["file"] for entry in entries]
    assert len(files) == len(set(files))
    for name in files:
        with Image.open(out_dir / name) as image:
            _pixels, problem = opaque_rgb(image)
            assert problem is None, f"{name}: {problem}"
    print(f"tour: {len(entries)} screens")
