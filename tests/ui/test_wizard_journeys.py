"""The 办理 journeys on Xvfb (`main.py --demo --script wizards`, demo.wizard_stories), one Kivy
process for every application wizard: for each, a card pulled mid-wizard ends the session with no
application made, then the whole wizard is answered by touch and submitted, and either its receipt
is printed (the number on the paper) and the application is in the resident's list (办事进度), or
the gateway's refusal is on screen; never two applications from one wizard run."""

from __future__ import annotations

import json
import time

import pytest

from kiosk.services import CATALOGUE, WizardParams

pytestmark = pytest.mark.ui

# Sixteen wizards, each with a sign-in, a pulled card and a whole application: about 3 minutes on
# an idle machine, more than the suite's 300 s default on a busy one.
JOURNEYS_TIMEOUT = 600


@pytest.mark.timeout(JOURNEYS_TIMEOUT)
def test_every_wizard_submits_prints_and_lists_and_a_pulled_card_submits_nothing(run_kiosk, tmp_path):
    out_dir = tmp_path / "wizards"
    started = time.monotonic()
    completed = run_kiosk(
        "--demo",
        "--data-dir",
        str(tmp_path / "demo"),
        "--script",
        "wizards",
        "--output",
        str(out_dir),
        timeout=JOURNEYS_TIMEOUT - 30,
    )
    elapsed = time.monotonic() - started
    assert completed.returncode == 0, completed.stdout + completed.stderr[-4000:]
    records = {r["service"]: r for r in json.loads((out_dir / "wizards.json").read_text(encoding="utf-8"))}
    wizards = {name for name, spec in CATALOGUE.items() if isinstance(spec.params, WizardParams)}
    assert set(records) == wizards
    for record in records.values():
        assert record["pulled_mid_wizard_made"] == 0, record
        if record["outcome"] == "receipt":
            assert record["made"] == 1 and record["printed"] and record["listed"], record
        else:
            assert record["made"] == 0 and record["reason"], record
    on_screen = [record["on_progress_screen"] for record in records.values() if "on_progress_screen" in record]
    assert on_screen and all(on_screen), records  # the last resident's receipts, in 办事进度
    refused = {name for name, record in records.items() if record["outcome"] != "receipt"}
    # Every kind is made by someone the demo records let through: 社保卡申领 by a resident with no
    # card, signed in with the 电子社保卡; 养老待遇资格认证 by a pensioner with an enrolled face.
    assert not refused, {name: records[name].get("reason") for name in refused}
    print(f"wizard journeys: {len(records)} wizards, refused {sorted(refused)}, {elapsed:.0f} s")
