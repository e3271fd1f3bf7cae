"""What the X server shows, read from the X display itself (not from the app's own screenshots).

A scripted story run with RENSHE_JOURNEY_OBSERVER=1 (demo/player.py) writes, at each of its
screenshots, ``NN-name.layout.json`` in its output folder (where its window is, the screen's body,
the visible texts) and holds the app until ``NN-name.seen`` appears. ``XScreenWatcher`` grabs the
Xvfb display at that moment with Pillow's ImageGrab (over XCB) and checks, for each screen:

- the grab is opaque and not black;
- the body's background (its padding frame, which nothing else paints) is the intended light
  colour, not the black Kivy clears to by default;
- every visible text is at least 4.5:1 (WCAG AA) against what is really behind it: in each text's
  box, the most common colour is the background and the text colour is the 95th percentile of
  the pixels that differ from it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageGrab

logger = logging.getLogger(__name__)

MIN_CONTRAST = 4.5  # WCAG 2 AA for normal text
BACKGROUND_TOLERANCE = 3  # per channel, 0-255
TEXT_INSET = 3  # pixels off each side of a text's box: a button's border is not its text


@dataclass
class ScreenReport:
    """What one grab showed: the body's colour, the least readable text and any problems."""

    shot: str
    screen: str
    body_colour: tuple[int, int, int] | None = None
    min_contrast: float | None = None  # of the kiosk area's texts
    worst_text: str = ""
    dock_min_contrast: float | None = None  # of the demo dock's texts (demo mode)
    contrasts: list[tuple[str, float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        contrast = f"{self.min_contrast:.1f}:1" if self.min_contrast is not None else "-"
        dock = f"{self.dock_min_contrast:.1f}:1" if self.dock_min_contrast is not None else "-"
        return (
            f"{self.shot:30} {self.screen:14} body {self.body_colour}  lowest text contrast {contrast} "
            f"({self.worst_text!r}), dock {dock}"
        )


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB pixels (uint8, last axis RGB)."""
    channel = rgb.astype(np.float64) / 255.0
    linear = np.where(channel <= 0.04045, channel / 12.92, ((channel + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def contrast_ratio(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """WCAG contrast ratio between relative luminances (element-wise)."""
    high, low = np.maximum(a, b), np.minimum(a, b)
    return (high + 0.05) / (low + 0.05)


def opaque_rgb(image: Image.Image) -> tuple[np.ndarray, str | None]:
    """(pixels as an RGB array, problem): a problem when any pixel is transparent or the whole
    image is black, which is what a window with nothing drawn, or drawn on alpha 0, gives."""
    problem = None
    if "A" in image.getbands() and image.getchannel("A").getextrema()[0] < 255:
        problem = "the image has transparent pixels"
    elif image.mode == "P" and "transparency" in image.info:
        problem = "the image has a transparent palette entry"
    pixels = np.asarray(image.convert("RGB"))
    if problem is None and int(pixels.max()) < 16:
        problem = "the image is black"
    return pixels, problem


def dominant_colour(pixels: np.ndarray) -> tuple[tuple[int, int, int], float]:
    """The most common colour of an RGB array and its share of the pixels."""
    flat = pixels.reshape(-1, 3).astype(np.int64)
    packed = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    colours, counts = np.unique(packed, return_counts=True)
    best = int(counts.argmax())
    colour = int(colours[best])
    return (colour >> 16, (colour >> 8) & 255, colour & 255), float(counts[best]) / len(packed)


def text_contrast(pixels: np.ndarray) -> tuple[float | None, tuple[int, int, int]]:
    """(contrast of the text against its background, background) for the pixels of one text's
    box: the background is the box's most common colour; the text colour the 95th percentile of
    the pixels that differ from it. None when no pixel differs (no text to be seen)."""
    background, _share = dominant_colour(pixels)
    luminance = relative_luminance(pixels.reshape(-1, 3))
    ratios = contrast_ratio(luminance, relative_luminance(np.array(background)))
    ink = ratios[ratios > 1.1]
    if ink.size < 10:
        return None, background
    return float(np.percentile(ink, 95)), background


def _crop(pixels: np.ndarray, box: list[int], inset: int = 0) -> np.ndarray:
    left, top, width, height = box
    height_px, width_px = pixels.shape[:2]
    x0, y0 = max(left + inset, 0), max(top + inset, 0)
    x1, y1 = min(left + width - inset, width_px), min(top + height - inset, height_px)
    return pixels[y0:y1, x0:x1]


def body_frame(pixels: np.ndarray, body: list[int], padding: list[int], texts: list[list[int]]) -> np.ndarray:
    """The pixels of the body's padding frame (left, top, right, bottom padding) outside every
    text's box: the screen's own background, which no widget paints (a label pushed into the
    padding by a tall layout is text, not background)."""
    left, top, width, height = body
    pad_left, pad_top, pad_right, pad_bottom = padding
    mask = np.zeros(pixels.shape[:2], dtype=bool)
    mask[top : top + height, left : left + width] = True
    mask[top + pad_top : top + height - pad_bottom, left + pad_left : left + width - pad_right] = False
    for box_left, box_top, box_width, box_height in texts:
        mask[max(box_top, 0) : box_top + box_height, max(box_left, 0) : box_left + box_width] = False
    return pixels[mask]


def check_screen(image: Image.Image, layout: dict[str, Any]) -> ScreenReport:
    """Check one grab of the window (``image``, window-sized) against its ``layout``."""
    report = ScreenReport(layout["shot"], layout["screen"])
    pixels, problem = opaque_rgb(image)
    if problem is not None:
        report.problems.append(problem)
        return report
    if not layout["dialog"]:  # under a dialog the screen is dimmed on purpose
        frame = body_frame(pixels, layout["body"], layout["body_padding"], [text["box"] for text in layout["texts"]])
        report.body_colour, _share = dominant_colour(frame)
        expected = np.array(layout["background"])
        off = np.abs(frame.astype(int) - expected).max(axis=1) > BACKGROUND_TOLERANCE
        if off.mean() > 0.01:
            report.problems.append(
                f"the body's background is {report.body_colour}, not {tuple(layout['background'])} "
                f"({off.mean():.0%} of its padding frame differs)"
            )
    if not layout["texts"]:
        report.problems.append("no visible text reported")
    for text in layout["texts"]:
        box = _crop(pixels, text["box"], TEXT_INSET)
        if min(box.shape[:2]) < 4:  # a sliver at a scroll view's edge: no line of text shows there
            continue
        contrast, background = text_contrast(box)
        label = text["text"].replace("\n", " ")[:40]
        if contrast is None and text["clipped"]:  # scrolled out but for its empty margin
            continue
        if contrast is None:
            report.problems.append(f"{label!r} ({text['widget']}): no text to be seen on {background}")
            continue
        in_dock = text["box"][0] >= layout["kiosk_area"][0] + layout["kiosk_area"][2]
        report.contrasts.append((label, contrast))
        if in_dock:
            report.dock_min_contrast = min(contrast, report.dock_min_contrast or contrast)
        elif report.min_contrast is None or contrast < report.min_contrast:
            report.min_contrast, report.worst_text = contrast, label
        if contrast < MIN_CONTRAST:
            report.problems.append(
                f"{label!r} ({text['widget']}): contrast {contrast:.2f}:1 on {background}, below {MIN_CONTRAST}:1"
            )
    return report


class XScreenWatcher:
    """Answers a story's screenshots: grabs the X display, checks the screen, saves the grab."""

    def __init__(self, display: str, out_dir: Path, grabs_dir: Path) -> None:
        self.display = display
        self.out_dir = out_dir
        self.grabs_dir = grabs_dir
        self.reports: list[ScreenReport] = []
        self.seconds = 0.0  # spent grabbing and checking, while the app waits

    def poll(self) -> None:
        """Handle every screenshot announced and not yet answered."""
        if not self.out_dir.is_dir():
            return
        for layout_path in sorted(self.out_dir.glob("*.layout.json")):
            stem = layout_path.name.removesuffix(".layout.json")
            seen = self.out_dir / f"{stem}.seen"
            if seen.exists():
                continue
            started = time.monotonic()
            try:
                layout = json.loads(layout_path.read_text(encoding="utf-8"))
                self.reports.append(self.look(layout))
            except Exception as exc:  # reported as a problem of this screen; the app must go on
                self.reports.append(ScreenReport(stem, "?", problems=[f"observer crashed: {exc!r}"]))
            finally:
                seen.write_text("", encoding="utf-8")
                self.seconds += time.monotonic() - started

    def look(self, layout: dict[str, Any]) -> ScreenReport:
        left, top, width, height = layout["window"]
        grab = ImageGrab.grab(bbox=(left, top, left + width, top + height), xdisplay=self.display)
        self.grabs_dir.mkdir(parents=True, exist_ok=True)
        grab.save(self.grabs_dir / f"{layout['shot']}.png")
        return check_screen(grab, layout)

    def problems(self) -> list[str]:
        return [f"{report.shot}: {problem}" for report in self.reports for problem in report.problems]

    def summary(self) -> str:
        return "\n".join(report.line() for report in self.reports)
