"""Voice prompts in the real Kivy app on Xvfb: the scripted resident journey hears card-in → PIN →
menu → take your paper → take your card, in order, played through Kivy's audio (SDL's dummy
driver: no sound card here) without the player giving up."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.ui.conftest import REPO

pytestmark = pytest.mark.ui

VOICE_LINE = re.compile(r"kiosk\.voice: voice prompt (\S+) \((\w+)\)")


def test_the_journey_speaks_the_key_steps_in_order(run_kiosk, tmp_path, monkeypatch):
    # The prompts are rendered at set-up; building them here is a no-op when they are up to date.
    build = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "voice.py"), "build"], capture_output=True, text=True, timeout=300
    )
    assert build.returncode == 0, build.stdout + build.stderr
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    out_dir = tmp_path / "journey"
    completed = run_kiosk(
        "--demo", "--data-dir", str(tmp_path / "demo"), "--script", "journey", "--output", str(out_dir)
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    spoken = VOICE_LINE.findall(completed.stderr)
    assert spoken == [
        ("reading.title", "zh_CN"),  # the card is in: being read, do not pull it
        ("pin.prompt", "zh_CN"),
        ("menu.title", "zh_CN"),
        ("print.done", "zh_CN"),  # take your paper
        ("menu.title", "zh_CN"),
        ("remove_card.title", "zh_CN"),  # take your card
    ], completed.stderr[-3000:]
    assert "voice prompts are off" not in completed.stderr  # the Kivy player played every one
    assert "is not built" not in completed.stderr


def test_the_offscreen_demo_plays_the_prompts_on_sdls_dummy_audio(run_kiosk, tmp_path, monkeypatch):
    """No display, no sound card: cli.ui picks SDL's dummy audio driver, so the player never gives up."""
    monkeypatch.delenv("SDL_AUDIODRIVER", raising=False)
    out_dir = tmp_path / "offscreen"
    completed = run_kiosk("--demo", "--data-dir", str(tmp_path / "demo"), "--output", str(out_dir), display=False)
    spoken = [key for key, _lang in VOICE_LINE.findall(completed.stderr)]
    assert spoken[:3] == ["reading.title", "pin.prompt", "menu.title"], completed.stderr[-3000:]
    assert "voice prompts are off" not in completed.stderr
    assert "Unable to open mixer" not in completed.stderr
