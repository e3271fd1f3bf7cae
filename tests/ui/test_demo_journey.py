"""The whole resident journey in the real Kivy app, with real touches, on Xvfb and off-screen."""

from __future__ import annotations

import json

import pytest
from PIL import Image, ImageStat

from drivers.printer.decode import decode_escpos

pytestmark = pytest.mark.ui

EXPECTED_SHOTS = [
    "attract",
    "pin",
    "pin-entered",
    "menu",
    "insurance",
    "contributions",
    "print-preview",
    "printed",
    "remove-card",
    "attract-again",
]


def _check_journey_output(out_dir, completed):
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads((out_dir / "journey.json").read_text(encoding="utf-8"))
    assert report["ok"], report
    assert [name.split("-", 1)[1].removesuffix(".png") for name in report["screenshots"]] == EXPECTED_SHOTS
    for name in report["screenshots"]:
        with Image.open(out_dir / name) as image:
            assert image.width >= 1000
            # a rendered screen, not a black or blank frame
            assert max(ImageStat.Stat(image.convert("L")).stddev) > 10, name
    with Image.open(out_dir / "receipt-preview.png") as preview:
        assert preview.width in (384, 576) and preview.height > 300
    decoded = decode_escpos((out_dir / "receipt.bin").read_bytes())
    text = "\n".join(decoded.lines)
    assert "参保证明" in text
    assert decoded.qr_payloads and decoded.qr_payloads[0].startswith("http")
    return report


def test_journey_on_xvfb(run_kiosk, tmp_path):
    out_dir = tmp_path / "journey"
    completed = run_kiosk(
        "--demo", "--data-dir", str(tmp_path / "demo"), "--script", "journey", "--output", str(out_dir)
    )
    _check_journey_output(out_dir, completed)
    assert "journey complete" in completed.stdout
    with Image.open(out_dir / "window-with-dock.png") as window:
        assert window.width > 1280  # the demo dock sits beside the kiosk area


def test_demo_without_display_runs_the_journey_offscreen(run_kiosk, tmp_path):
    out_dir = tmp_path / "offscreen"
    completed = run_kiosk("--demo", "--data-dir", str(tmp_path / "demo"), "--output", str(out_dir), display=False)
    assert "no display" in completed.stdout
    _check_journey_output(out_dir, completed)
    assert str(out_dir) in completed.stdout


@pytest.mark.parametrize(
    "script, extra, shots",
    [
        (
            "paper-out",
            [],
            [
                "attract",
                "pin",
                "pin-entered",
                "menu",
                "paper-out",
                "menu-printing-disabled",
                "remove-card",
                "attract-again",
            ],
        ),
        ("foreign-card", [], ["foreign-card", "attract-again"]),
        ("face-match", [], ["face-capture", "menu", "remove-card", "attract-again"]),
        ("face-photo", [], ["face-refused", "remove-card", "attract-again"]),
        ("face-other", [], ["face-mismatch", "remove-card", "attract-again"]),
        ("maintenance", [], ["out-of-service", "attract-again"]),
        (
            "idle-timeout",
            ["--set", "session.idle_timeout=5", "--set", "session.countdown=3"],
            ["attract", "pin", "pin-entered", "menu", "countdown", "remove-card"],
        ),
    ],
)
def test_fault_scripts_on_xvfb(run_kiosk, tmp_path, script, extra, shots):
    out_dir = tmp_path / script
    completed = run_kiosk(
        "--demo", "--data-dir", str(tmp_path / "demo"), *extra, "--script", script, "--output", str(out_dir)
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads((out_dir / "journey.json").read_text(encoding="utf-8"))
    assert report["ok"], report
    assert [name.split("-", 1)[1].removesuffix(".png") for name in report["screenshots"]] == shots
