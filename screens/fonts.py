"""Pick a CJK font whose first face is Chinese and make it Kivy's default font.

Noto CJK .ttc files open their Japanese face first in Kivy (wrong glyph shapes for Chinese),
so the Chinese-first WenQuanYi fonts come first in the search list.
"""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)

CHINESE_FIRST_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


class FontNotFound(RuntimeError):
    """No usable CJK font: the fix is to install fonts-wqy-microhei (scripts/setup.sh does)."""


def find_cjk_font(configured: str = "") -> Path:
    candidates = [configured] if configured else list(CHINESE_FIRST_FONTS)
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    raise FontNotFound(
        f"no Chinese font found (tried {', '.join(candidates)}); install fonts-wqy-microhei "
        "(apt-get install fonts-wqy-microhei) or set ui.font_path"
    )


def install_default_font(configured: str = "") -> Path:
    """Register the CJK font under Kivy's default font name so every widget uses it."""
    from kivy.core.text import DEFAULT_FONT, LabelBase  # here, so the doctor can search fonts without Kivy

    path = find_cjk_font(configured)
    LabelBase.register(DEFAULT_FONT, str(path))
    logger.info("UI font: %s", path)
    return path
