"""Find the CJK font used for raster glyphs and the preview, and draw text lines with it."""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from kiosk.documents import char_width

logger = logging.getLogger(__name__)

# Debian fonts-wqy-microhei first: Noto CJK .ttc opens its Japanese face by default, fonts-wqy-microhei its Chinese one.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)

# Per-character fallbacks for rare ideographs the main font lacks (wqy-microhei has no CJK Ext A/B):
# Debian fonts-hanazono (HanaMinA: BMP incl. Ext A, HanaMinB: Ext B and later, plane 2).
FALLBACKS = (
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
)

DOT_COLUMN = 12  # font A cell width: one display column
LINE_DOTS = 24  # Chinese font cell height


class FontNotFound(RuntimeError):
    """No CJK font file: install Debian's fonts-wqy-microhei or set the font path."""


def find_cjk_font(explicit: str | None = None) -> str:
    """Return the path of a usable CJK font: ``explicit``, $KIOSK_CJK_FONT, then the known files."""
    for candidate in (explicit, os.environ.get("KIOSK_CJK_FONT"), *CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    raise FontNotFound(
        "no CJK font found; install fonts-wqy-microhei (apt-get install fonts-wqy-microhei) "
        "or set KIOSK_CJK_FONT to a .ttf/.ttc with Chinese glyphs"
    )


@functools.lru_cache(maxsize=16)
def load_font(path: str, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, pixels)


@functools.lru_cache(maxsize=4096)
def has_glyph(path: str, ch: str) -> bool:
    """True if the font draws ``ch`` as something other than its missing-glyph box (.notdef)."""
    font = load_font(path, 24)
    mask = font.getmask(ch)
    missing = font.getmask("\U0010fffd")  # a private-use code point no font maps: renders .notdef
    if mask.size != missing.size:
        return True
    return bytes(mask) != bytes(missing)


def font_for(ch: str, main: str) -> str:
    """The main font if it has ``ch``, else the first installed fallback that does, else the main."""
    if ch.isascii() or has_glyph(main, ch):
        return main
    for fallback in FALLBACKS:
        if Path(fallback).is_file() and has_glyph(fallback, ch):
            return fallback
    logger.warning("no installed font has U+%04X; install fonts-hanazono", ord(ch))
    return main


def draw_cells(
    draw: ImageDraw.ImageDraw, x: int, y: int, text: str, font_path: str, scale: int = 1, bold: bool = False
) -> None:
    """Draw ``text`` on the printer's cell grid: each display column is 12 dots, lines 24 dots high.

    Drawing per character on the grid (instead of the font's own advance) keeps the preview and the
    raster glyph lines aligned exactly like the printer's built-in fonts.
    """
    cell, height = DOT_COLUMN * scale, LINE_DOTS * scale
    for ch in text:
        width = char_width(ch)
        if ch != " " and width:
            font = load_font(font_for(ch, font_path), int(height * 0.92))
            box = draw.textbbox((0, 0), ch, font=font)
            glyph_w = box[2] - box[0]
            gx = x + max((cell * width - glyph_w) // 2, 0) - box[0]
            gy = y + (height - (box[3] - box[1])) // 2 - box[1] if width == 2 else y + int(height * 0.04)
            for dx in (0, 1) if bold else (0,):
                draw.text((gx + dx, gy), ch, font=font, fill=0)
        x += cell * width


def render_line_image(
    text: str, width_dots: int, font_path: str, align: str = "left", scale: int = 1, bold: bool = False
) -> Image.Image:
    """A 1-bit image, ``width_dots`` wide and one text line high, of ``text`` placed by ``align``."""
    from kiosk.documents import display_width

    height = LINE_DOTS * scale
    image = Image.new("L", (width_dots, height), 255)
    used = display_width(text) * DOT_COLUMN * scale
    x = 0 if align == "left" else (width_dots - used) if align == "right" else (width_dots - used) // 2
    draw_cells(ImageDraw.Draw(image), max(x, 0), 0, text, font_path, scale, bold)
    return image.point(lambda v: 0 if v < 128 else 255, mode="1")
