"""The kiosk's light theme: the colours every screen is designed against (style.kv uses them).

BACKGROUND is the window's clear colour and each screen's own opaque fill, so the body of every
screen is this colour on the display itself, never the black Kivy clears to by default. TEXT on
BACKGROUND is about 16:1; every text colour of the screens is at least 4.5:1 against what is
behind it (tests/ui check this on the X display).
"""

from __future__ import annotations

Colour = tuple[float, float, float, float]

BACKGROUND: Colour = (1.0, 1.0, 1.0, 1.0)  # white: the screens were designed and reviewed on it
TEXT: Colour = (0.1, 0.12, 0.16, 1.0)  # body text (KioskLabel)

# Buttons and the header bar. In 长辈模式 (elder mode, kiosk.legibility.ELDER) text must reach 7:1:
# white on PRIMARY is 6.8:1, so elder mode fills with PRIMARY_ELDER (8.6:1) and greys disabled text
# darker; the tests pin the standard look, which stays as it was reviewed.
PRIMARY: Colour = (0.04, 0.36, 0.66, 1.0)
PRIMARY_DOWN: Colour = (0.02, 0.25, 0.5, 1.0)
PRIMARY_ELDER: Colour = (0.02, 0.3, 0.56, 1.0)
DISABLED_FILL: Colour = (0.85, 0.86, 0.88, 1.0)
DISABLED_TEXT: Colour = (0.3, 0.3, 0.3, 1.0)
DISABLED_TEXT_ELDER: Colour = (0.2, 0.2, 0.2, 1.0)
# Error and accent text on BACKGROUND: 8.3:1 and 8.6:1, so in both modes.
ERROR_TEXT: Colour = (0.62, 0.05, 0.05, 1.0)
ACCENT_TEXT: Colour = PRIMARY_ELDER
# The announcement band's fills (style.kv AnnouncementPanel).
BAND_WARNING: Colour = (1.0, 0.91, 0.62, 1.0)
BAND_INFO: Colour = (0.87, 0.92, 0.98, 1.0)
# 长辈模式 multiplies every text size by at least this: body text 30 → 40 px, table cells 24 → 32 px.
ELDER_FONT_SCALE = 1.35


def primary(elder: bool) -> Colour:
    """The fill of primary buttons and of the header bar in the given mode."""
    return PRIMARY_ELDER if elder else PRIMARY


SECONDARY: Colour = (0.86, 0.88, 0.92, 1.0)
SECONDARY_DOWN: Colour = (0.7, 0.74, 0.8, 1.0)


def button_fill(secondary: bool, disabled: bool, down: bool, elder: bool) -> Colour:
    """A button's fill: grey when disabled, light grey for a secondary one, else the primary blue."""
    if disabled:
        return DISABLED_FILL
    if secondary:
        return SECONDARY_DOWN if down else SECONDARY
    return PRIMARY_DOWN if down else primary(elder)
