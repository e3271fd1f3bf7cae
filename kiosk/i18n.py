"""Resident-facing text in 简体 (default), 繁體 and English, from the gettext catalogues in kiosk/locale.

Every word a resident reads or a printout carries is a message key (e.g. ``"attract.insert_card"``)
translated by ``tr(key, lang, **params)``. The texts live in one catalogue per language,
``kiosk/locale/<lang>/LC_MESSAGES/kiosk.po`` (msgid = key, msgstr = text with ``{name}``
placeholders), compiled to ``kiosk.mo`` by ``scripts/i18n.py compile`` (scripts/setup.sh runs it;
the .mo files are build output, not in git). docs/i18n.md says how to add a message or a language.

Contract of ``tr``: it never raises. An unknown key shows the generic error text (the gap is logged
once); a text missing in one language shows the 简体 one; a missing parameter leaves the text
as is (logged). A .mo that is missing or older than its .po is never used: the .po is compiled at
first use instead (Babel is imported only then, so a normal start reads the .mo with the standard
library alone) and a warning says to run the compile step.

Catalogues load lazily, one language at a time, so importing this module costs next to nothing.
"""

from __future__ import annotations

import gettext
import io
import logging
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from kiosk.i18n_files import (
    DEFAULT_LANGUAGE,
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    mo_is_current,
    mo_path,
    po_path,
    write_atomically,
)

__all__ = [  # the catalogue files' layout lives in kiosk.i18n_files; callers may take it from here
    "CATALOGUES",
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "GENERIC_KEY",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALE_DIR",
    "Catalogues",
    "N_",
    "mo_is_current",
    "mo_path",
    "po_path",
    "tr",
    "write_atomically",
]

logger = logging.getLogger(__name__)

GENERIC_KEY = "error.generic"
LANGUAGE_NAME_KEY = "language.name"


def N_(key: str) -> str:
    """Mark a message key kept as data (a table, a default) so that extraction finds it; returns it.

    The name is gettext's convention for such a marker, which Babel extracts by default.
    """
    return key


class Catalogues:
    """The catalogues of one locale directory, each loaded on first use and kept for the process.

    Thread-safe: the UI thread and the worker both translate.
    """

    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        self.locale_dir = locale_dir
        self._loaded: dict[str, gettext.NullTranslations] = {}
        self._lock = threading.Lock()
        self._reported: set[tuple[str, str, str]] = set()

    def translation(self, lang: str) -> gettext.NullTranslations:
        """The catalogue of ``lang``; an empty one (after logging why) when it cannot be read."""
        with self._lock:
            found = self._loaded.get(lang)
            if found is None:
                found = self._loaded[lang] = self._load(lang)
            return found

    def lookup(self, key: str, lang: str) -> str | None:
        """The text of ``key`` in ``lang`` exactly, or None when that catalogue lacks it."""
        text = self.translation(lang).gettext(key)
        # gettext answers the msgid itself for a message it lacks; a key is never its own text
        # (the catalogue tests hold every msgstr to that), so equality means "missing".
        return None if text == key else text

    def tr(self, key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
        """See :func:`tr`."""
        if lang not in LANGUAGES:
            self._report_once(("language", "", lang), "unknown language %r; showing %s", lang, DEFAULT_LANGUAGE)
            lang = DEFAULT_LANGUAGE
        text = self.lookup(key, lang)
        if text is None and lang != DEFAULT_LANGUAGE:
            text = self.lookup(key, DEFAULT_LANGUAGE)
            if text is not None:
                self._report_once(
                    ("text", key, lang), "message %r has no %s text; showing %s", key, lang, DEFAULT_LANGUAGE
                )
        if text is None:
            self._report_once(("key", key, ""), "no translation for message key %r", key)
            text = self.lookup(GENERIC_KEY, lang) or self.lookup(GENERIC_KEY, DEFAULT_LANGUAGE) or key
        if not params:
            return text
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError, AttributeError):
            logger.warning("message %r lacks a parameter among %s", key, sorted(params))
            return text

    def _report_once(self, token: tuple[str, str, str], message: str, *args: object) -> None:
        """Log a gap once per process: tr() runs on every redraw, the log should not."""
        if token not in self._reported:
            self._reported.add(token)
            logger.warning(message, *args)

    def _load(self, lang: str) -> gettext.NullTranslations:
        mo = mo_path(lang, self.locale_dir)
        try:
            if mo_is_current(lang, self.locale_dir):
                with mo.open("rb") as handle:
                    return gettext.GNUTranslations(handle)
            return self._compile_now(lang)
        except Exception:  # tr() must never raise: a broken catalogue falls back to 简体, then the key
            logger.exception("cannot load the %s message catalogue from %s", lang, self.locale_dir)
            return gettext.NullTranslations()

    def _compile_now(self, lang: str) -> gettext.NullTranslations:
        """Compile the .po in process (a fresh clone, or a .po edited since the last compile)."""
        po, mo = po_path(lang, self.locale_dir), mo_path(lang, self.locale_dir)
        state = "older than" if mo.exists() else "missing beside"
        logger.warning("%s is %s %s; compiling it now (run: scripts/i18n.py compile)", mo.name, state, po)
        from kiosk.i18n_build import compile_po  # Babel: only on this path, never on a normal start

        data = compile_po(po)
        try:
            write_atomically(mo, data)
        except OSError as exc:
            logger.warning("cannot write %s (%s); using the compiled catalogue from memory", mo, exc)
        return gettext.GNUTranslations(io.BytesIO(data))


class _LanguageNames(Mapping[str, str]):
    """Each language's name in that language (its catalogue's ``language.name``), for the buttons."""

    def __getitem__(self, lang: str) -> str:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        return CATALOGUES.tr(LANGUAGE_NAME_KEY, lang)

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


CATALOGUES = Catalogues()
LANGUAGE_NAMES: Mapping[str, str] = _LanguageNames()


def tr(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """Translate ``key`` into ``lang`` and fill ``{name}`` placeholders from ``params``; never raises."""
    return CATALOGUES.tr(key, lang, **params)
