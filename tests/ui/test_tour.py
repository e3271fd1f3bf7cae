"""The tour (`main.py --demo --script tour`) on Xvfb: every screen of every catalogue service, in
both display modes and all three languages, one opaque PNG each and tour.json listing them; every
screenshot keeps the legibility rules of its mode (demo.player.StoryPlayer.check_legible). Every
wizard reaches its result and the receipt's print message in every pass (residents the gateway lets
through: demo.tour_plan), each pass also shows a refusal and 缴费明细's period screens, and every
screen of the run is listed in docs/screens.md (demo.tour_index)."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from demo.tour_index import undocumented
from kiosk.i18n import LANGUAGES
from kiosk.services import CATALOGUE, WizardParams
from tests.ui.conftest import REPO
from tests.ui.xscreen import opaque_rgb

pytestmark = pytest.mark.ui

# Every service (about 30 now) in 2 modes × 3 languages: longer than the suite's 300 s default.
TOUR_TIMEOUT = 1500
PERIOD_SCREENS = ("records", "period-last_year", "period-editor", "period-custom")


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
    shown = {(entry["service"], entry["screen"], entry["mode"], entry["language"]) for entry in entries}
    wizards = [name for name, spec in CATALOGUE.items() if isinstance(spec.params, WizardParams)]
    for mode in ("normal", "elder"):
        for language in LANGUAGES:
            for name in wizards:
                for screen in ("wizard-result", "message"):
                    assert (name, screen, mode, language) in shown, (name, screen, mode, language)
            refusals = [e for e in entries if e["screen"] == "wizard-review-failure" and e["language"] == language]
            assert any(entry["mode"] == mode for entry in refusals), (mode, language)
            for screen in PERIOD_SCREENS:
                assert ("contributions", screen, mode, language) in shown, (screen, mode, language)
    doc = (REPO / "docs" / "screens.md").read_text(encoding="utf-8")
    assert undocumented(entries, doc) == [], "run scripts/tour_screens.py on this tour.json, describe new screens"
    files = [entry["file"] for entry in entries]
    assert len(files) == len(set(files))
    for name in files:
        with Image.open(out_dir / name) as image:
            _pixels, problem = opaque_rgb(image)
            assert problem is None, f"{name}: {problem}"
    print(f"tour: {len(entries)} screens")
