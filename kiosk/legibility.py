"""The legibility rules of the kiosk's screens, in both display modes, as plain numbers.

Standard mode: text at least 24 px, buttons at least 72 px high, text contrast at least 4.5:1.
长辈模式 (elder mode): text at least 32 px, buttons at least 96 px high, contrast at least 7:1
(WCAG AAA). ``problems`` checks one widget's measures against them and says what is wrong, in
words that name the widget; screens.legibility walks the widgets on screen and calls it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

Rgb = tuple[float, float, float]  # channels 0..1


@dataclass(frozen=True)
class Rules:
    """The least a resident must get: text size and button height in window pixels, contrast ratio."""

    mode: str
    min_text_px: float
    min_button_px: float
    min_contrast: float


NORMAL = Rules("normal", min_text_px=24, min_button_px=72, min_contrast=4.5)
ELDER = Rules("elder", min_text_px=32, min_button_px=96, min_contrast=7.0)


def rules_for(elder_mode: bool) -> Rules:
    return ELDER if elder_mode else NORMAL


def relative_luminance(rgb: Rgb) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = rgb[:3]
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast_ratio(a: Rgb, b: Rgb) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def blend(colour: tuple[float, ...], behind: Rgb) -> Rgb:
    """``colour`` (RGB or RGBA) as seen over the opaque ``behind``."""
    alpha = colour[3] if len(colour) > 3 else 1.0
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(colour[:3], behind, strict=True))  # type: ignore[return-value]


@dataclass(frozen=True)
class Measure:
    """What one widget shows: ``name`` says which (class, intent or text); ``font_px`` is None for
    a widget without text, ``height`` None for one that is not a touch target; ``colours`` the
    text colours drawn (the widget's own and any from markup) over its opaque ``background``."""

    name: str
    font_px: float | None
    height: float | None
    colours: tuple[Rgb, ...]
    background: Rgb


def problems(measure: Measure, rules: Rules) -> list[str]:
    """What breaks ``rules`` in ``measure``, one line each (empty: it passes)."""
    out: list[str] = []
    if measure.font_px is not None and measure.font_px < rules.min_text_px - 0.5:
        out.append(f"{measure.name}: text {measure.font_px:.0f} px < {rules.min_text_px:.0f} px ({rules.mode})")
    if measure.height is not None and measure.height < rules.min_button_px - 0.5:
        out.append(f"{measure.name}: button {measure.height:.0f} px high < {rules.min_button_px:.0f} px ({rules.mode})")
    if measure.font_px is not None:
        for colour in measure.colours:
            ratio = contrast_ratio(colour, measure.background)
            if ratio < rules.min_contrast:
                out.append(f"{measure.name}: contrast {ratio:.2f}:1 < {rules.min_contrast}:1 ({rules.mode})")
    return out
