"""A scripted story's own settings (cli.ui.SCRIPT_SETTINGS): the idle-timeout story shortens the
session timing for its own run, the configuration itself keeps its defaults, and an explicit
--set of the same key still wins. (The story itself runs in test_demo_journey.py.)"""

from __future__ import annotations

import argparse

from cli.ui import apply_script_settings
from kiosk.config import load_config, parse_override


def effective_session(args: argparse.Namespace):
    return load_config(overrides=[parse_override(text) for text in args.overrides]).session


def test_idle_timeout_story_shortens_the_session_for_its_own_run(capsys):
    args = argparse.Namespace(overrides=[])
    apply_script_settings(args, "idle-timeout")
    session = effective_session(args)
    assert (session.idle_timeout, session.countdown) == (5, 3)
    assert "session.idle_timeout=5" in capsys.readouterr().out  # said, not hidden
    default = load_config().session  # config/default.toml is untouched
    assert (default.idle_timeout, default.countdown) == (60, 15)


def test_an_explicit_set_still_wins():
    args = argparse.Namespace(overrides=["session.idle_timeout=30"])
    apply_script_settings(args, "idle-timeout")
    session = effective_session(args)
    assert (session.idle_timeout, session.countdown) == (30, 3)


def test_other_stories_and_the_kiosk_bring_no_settings():
    for script in (None, "journey", "paper-out", "maintenance"):
        args = argparse.Namespace(overrides=["session.countdown=7"])
        apply_script_settings(args, script)
        assert args.overrides == ["session.countdown=7"]
