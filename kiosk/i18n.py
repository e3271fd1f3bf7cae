"""Resident-facing text in 简体 (default), 繁體 and English.

``tr(key, lang, **params)`` never raises: an unknown key falls back to the generic message so a
resident always sees words, and the gap is logged once for the developers.
"""

from __future__ import annotations

import logging

from kiosk.i18n_catalog import CATALOG

logger = logging.getLogger(__name__)

LANGUAGES = ("zh_CN", "zh_TW", "en")
LANGUAGE_NAMES = {"zh_CN": "简体中文", "zh_TW": "繁體中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"
_reported_missing: set[str] = set()


def tr(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """Translate ``key`` into ``lang`` and fill ``{name}`` placeholders from ``params``."""
    entry = CATALOG.get(key)
    if entry is None:
        if key not in _reported_missing:
            _reported_missing.add(key)
            logger.warning("no translation for message key %r", key)
        entry = CATALOG["error.generic"]
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError, ValueError):
        logger.warning("message %r lacks a parameter among %s", key, sorted(params))
        return text
