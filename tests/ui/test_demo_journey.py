"""The whole resident journey in the real Kivy app, with real touches, on Xvfb and off-screen.

On Xvfb every screen the stories stop at is also grabbed from the X display itself and checked
(tests/ui/xscreen.py): light body background, every text at least 4.5:1 against what is behind it.
"""

from __future__ import annotations

import json

import pytest
from PIL import Image, ImageStat

from drivers.printer.decode import decode_escpos
from tests.ui.xscreen import XScreenWatcher, opaque_rgb

pytestmark = pytest.mark.ui

EXPECTED_SHOTS = [
    "attract",
    "pin",
    "pin-entered",
    "menu",
    "loading",
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
    for name in [*report["screenshots"], "window-with-dock.png"]:
        with Image.open(out_dir / name) as image:
            assert image.width >= 1000
            # a rendered screen, not a black or blank frame
            assert max(ImageStat.Stat(image.convert("L")).stddev) > 10, name
            # what the display shows: opaque (no pixel a viewer would fill in with its own white)
            pixels, problem = opaque_rgb(image)
            assert problem is None, f"{name}: {problem}"
            assert tuple(pixels[120, 4]) == (255, 255, 255), f"{name}: the body's edge is {tuple(pixels[120, 4])}"
    with Image.open(out_dir / "receipt-preview.png") as preview:
        assert preview.width in (384, 576) and preview.height > 300
    decoded = decode_escpos((out_dir / "receipt.bin").read_bytes())
    text = "\n".join(decoded.lines)
    assert "参保证明" in text
    assert decoded.qr_payloads and decoded.qr_payloads[0].startswith("http")
    return report


def _check_x_display(watcher: XScreenWatcher, report: dict) -> None:
    """Every screenshot of the story was also grabbed from the X display, and each grab is readable."""
    print(f"grabbing and checking took {watcher.seconds:.1f} s")
    assert [item.shot for item in watcher.reports] == [name.removesuffix(".png") for name in report["screenshots"]]
    assert not watcher.problems(), "\n".join(watcher.problems())


def test_journey_on_xvfb(run_kiosk, xvfb_display, tmp_path):
    out_dir = tmp_path / "journey"
    watcher = XScreenWatcher(xvfb_display, out_dir, tmp_path / "x-grabs")
    completed = run_kiosk(
        "--demo",
        "--data-dir",
        str(tmp_path / "demo"),
        "--script",
        "journey",
        "--output",
        str(out_dir),
        watcher=watcher,
    )
    print(watcher.summary())  # what the X server showed, screen by screen (pytest -s)
    report = _check_journey_output(out_dir, completed)
    _check_x_display(watcher, report)
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
    "script, shots",
    [
        (
            "paper-out",
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
        ("foreign-card", ["foreign-card", "attract-again"]),
        ("face-match", ["face-capture", "menu", "remove-card", "attract-again"]),
        ("face-photo", ["face-refused", "remove-card", "attract-again"]),
        ("face-other", ["face-mismatch", "remove-card", "attract-again"]),
        ("maintenance", ["out-of-service", "attract-again"]),
        # Exactly as the README shows it: the story brings its own short session timing.
        ("idle-timeout", ["attract", "pin", "pin-entered", "menu", "countdown", "remove-card"]),
        # An application through the generic wizard, its receipt printed (the story enables the service).
        (
            "wizard",
            [
                "attract",
                "pin",
                "pin-entered",
                "menu",
                "wizard-notice",
                "wizard-confirm",
                "wizard-phone",
                "wizard-review",
                "wizard-result",
                "remove-card",
                "attract-again",
            ],
        ),
    ],
)
def test_fault_scripts_on_xvfb(run_kiosk, xvfb_display, tmp_path, script, shots):
    out_dir = tmp_path / script
    watcher = XScreenWatcher(xvfb_display, out_dir, tmp_path / "x-grabs")
    completed = run_kiosk(
        "--demo", "--data-dir", str(tmp_path / "demo"), "--script", script, "--output", str(out_dir), watcher=watcher
    )
    print(watcher.summary())
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads((out_dir / "journey.json").read_text(encoding="utf-8"))
    assert report["ok"], report
    assert [name.split("-", 1)[1].removesuffix(".png") for name in report["screenshots"]] == shots
    for name in report["screenshots"]:
        with Image.open(out_dir / name) as image:
            _pixels, problem = opaque_rgb(image)
            assert problem is None, f"{name}: {problem}"
    _check_x_display(watcher, report)
