"""Where the kiosk's message catalogues live on disk, shared by kiosk.i18n (reading them) and
kiosk.i18n_build (Babel: extracting, updating and compiling them), so neither imports the other's
module for it: ``kiosk/locale/<lang>/LC_MESSAGES/kiosk.po`` and its compiled ``kiosk.mo``.
"""

from __future__ import annotations

import os
from pathlib import Path

LANGUAGES = ("zh_CN", "zh_TW", "en")
DEFAULT_LANGUAGE = "zh_CN"
DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).resolve().with_name("locale")


def po_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """The source catalogue of ``lang``."""
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """The compiled catalogue of ``lang`` (build output, next to its .po)."""
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def mo_is_current(lang: str, locale_dir: Path = LOCALE_DIR) -> bool:
    """True when the .mo exists and is not older than its .po (or there is no .po to be older than)."""
    mo, po = mo_path(lang, locale_dir), po_path(lang, locale_dir)
    try:
        mo_time = mo.stat().st_mtime_ns
    except OSError:
        return False
    try:
        return mo_time >= po.stat().st_mtime_ns
    except OSError:
        return True  # an installation may ship the .mo alone


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` so that a concurrent reader sees the old file or the new one, never a part."""
    import tempfile  # it pulls in shutil and the compressors: only worth it when writing

    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
