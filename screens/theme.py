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
