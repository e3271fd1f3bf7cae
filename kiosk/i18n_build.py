"""The build side of the message catalogue, with Babel: extract keys, update the .po files, compile .mo.

Used by scripts/i18n.py (the developer's commands), by the catalogue tests, and by kiosk.i18n only
when it must compile a missing or stale .mo at start. Importing Babel costs tens of milliseconds,
which is why kiosk.i18n does not import this module on a normal start.

Layout: ``kiosk/locale/kiosk.pot`` (the template: every key, translators' comments, where the code
names it) and ``kiosk/locale/<lang>/LC_MESSAGES/kiosk.po`` (msgid = key, msgstr = text). Keys
are identifiers, not texts, so Babel's own placeholder detection (which looks at the msgid) never
marks a message ``python-brace-format``; :func:`write_catalogue` sets that flag from the text.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import string
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

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

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
MAPPING_FILE = ROOT / "babel.cfg"
PROJECT = "Renshe Kiosk"
TEAM = "Renshe Kiosk developers"
BRACE_FLAG = "python-brace-format"
HEADER_COMMENT = (
    "# Renshe Kiosk: the resident-facing messages of the terminal.\n"
    "# msgid is the message key used in the code; msgstr is the text, with {name} placeholders.\n"
    "# Edit the msgstr lines; run scripts/i18n.py (see docs/i18n.md) for everything else."
)
# Lines that change on every write without changing a message: ignored when deciding to rewrite.
_VOLATILE_HEADERS = ('"POT-Creation-Date:', '"PO-Revision-Date:', '"Generated-By:')


def template_path(locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / f"{DOMAIN}.pot"


def new_catalog(locale: str | None = None) -> Catalog:
    """An empty template (``locale`` None) or catalogue with this project's header."""
    return Catalog(
        locale=locale,
        domain=DOMAIN,
        project=PROJECT,
        version="1",
        msgid_bugs_address="docs/i18n.md",
        last_translator=TEAM,
        language_team=TEAM,
        header_comment=HEADER_COMMENT,
        revision_date=dt.datetime.now(dt.UTC),
        # A fuzzy header would make plain `pybabel compile` refuse the catalogue.
        fuzzy=False,
    )


def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` fields of a text; raises ValueError for a malformed one (a stray brace)."""
    return frozenset(field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(text) if field)


def read_catalogue(path: Path, locale: str | None = None) -> Catalog:
    """Read a .po or .pot file; a syntax error raises PoFileError (Babel would otherwise guess)."""
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN, abort_invalid=True)


def _mark_brace_format(catalog: Catalog, texts: dict[str, str] | None = None) -> None:
    """Flag each message whose text (its own msgstr, or ``texts[key]`` for a template) has fields."""
    for message in catalog:
        if not message.id:
            continue
        text = texts.get(message.id, "") if texts is not None else message.string
        try:
            has_fields = isinstance(text, str) and bool(placeholders(text))
        except ValueError:
            has_fields = False  # malformed: the catalogue test names it
        # The flag set is mutated after construction on purpose: Babel's Message() drops the flag
        # whenever the msgid itself has no fields, which is always the case for a key.
        if has_fields:
            message.flags.add(BRACE_FLAG)
        else:
            message.flags.discard(BRACE_FLAG)


def write_catalogue(path: Path, catalog: Catalog, texts: dict[str, str] | None = None) -> bool:
    """Write a .po (or, with the reference ``texts``, the .pot); False when nothing but dates changed."""
    _mark_brace_format(catalog, texts)
    catalog.header_comment = HEADER_COMMENT
    buffer = io.BytesIO()
    # No wrapping: a Chinese text stays on one line, and a diff shows whole messages. No line
    # numbers in the locations: moving code must not rewrite the catalogues.
    write_po(buffer, catalog, width=0, ignore_obsolete=True, include_previous=False, include_lineno=False)
    new = buffer.getvalue()
    if path.exists() and _stable_lines(path.read_bytes()) == _stable_lines(new):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(new)
    return True


def _stable_lines(data: bytes) -> list[str]:
    return [line for line in data.decode("utf-8").splitlines() if not line.startswith(_VOLATILE_HEADERS)]


def compile_po(po: Path) -> bytes:
    """The .mo bytes of a .po (fuzzy and empty messages left out, so they fall back to 简体)."""
    catalog = read_catalogue(po)
    for message, errors in catalog.check():
        for error in errors:
            logger.warning("%s: %s: %s", po, message.id, error)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def compiled_texts(data: bytes) -> dict[str, str]:
    """key → text of a compiled catalogue (the header left out)."""
    return {m.id: m.string for m in read_mo(io.BytesIO(data)) if m.id and isinstance(m.id, str)}


def compile_catalogues(languages: Iterable[str] = LANGUAGES, locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write each language's .mo when missing, stale or different; returns the files written.

    A .mo already equal to the fresh compile is only touched, so that it is not older than its .po.
    """
    written = []
    for lang in languages:
        mo = mo_path(lang, locale_dir)
        data = compile_po(po_path(lang, locale_dir))
        if mo.exists() and mo.read_bytes() == data:
            if not mo_is_current(lang, locale_dir):
                os.utime(mo)
            continue
        write_atomically(mo, data)
        written.append(mo)
    return written


def check_compiled(languages: Iterable[str] = LANGUAGES, locale_dir: Path = LOCALE_DIR) -> list[str]:
    """Problems of the compiled catalogues: missing, older than the .po, or saying something else."""
    problems = []
    for lang in languages:
        mo, po = mo_path(lang, locale_dir), po_path(lang, locale_dir)
        if not mo.exists():
            problems.append(f"{mo} is missing")
        elif not mo_is_current(lang, locale_dir):
            problems.append(f"{mo} is older than {po.name}")
        elif compiled_texts(mo.read_bytes()) != compiled_texts(compile_po(po)):
            problems.append(f"{mo} does not match {po.name}")
    return problems


def extract_keys(root: Path = ROOT, mapping_file: Path = MAPPING_FILE) -> Catalog:
    """Every key the code names literally (tr, Message, N_ calls), with where and translators' comments."""
    with mapping_file.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(mapping_file))
    found = Catalog(project=PROJECT, domain=DOMAIN)
    for filename, lineno, key, comments, context in extract_from_dir(
        root, method_map, options_map, strip_comment_tags=True
    ):
        if isinstance(key, str) and key:
            found.add(key, None, [(filename, lineno)], auto_comments=comments, context=context)
        else:
            logger.warning("%s:%s: not a single literal key: %r", filename, lineno, key)
    return found


def merge_template(template: Catalog, found: Catalog) -> tuple[Catalog, list[str], list[str]]:
    """The template with the found keys added and locations refreshed.

    Keys the code builds at run time are never found, so no key is dropped here: one is removed
    by deleting it from kiosk.pot by hand. Returns (template, added keys, keys not found in code).
    """
    merged = new_catalog()
    merged.creation_date = template.creation_date
    added, unseen = [], []
    for message in template:
        if not message.id:
            continue
        seen = found.get(message.id)
        comments = list(message.auto_comments)
        if seen is not None:
            comments += [c for c in seen.auto_comments if c not in comments]
        else:
            unseen.append(message.id)
        locations = seen.locations if seen is not None else []
        merged[message.id] = Message(message.id, "", locations, message.flags, comments, message.user_comments)
    for message in found:
        if message.id and message.id not in merged:
            merged[message.id] = Message(message.id, "", message.locations, auto_comments=message.auto_comments)
            added.append(message.id)
    return merged, added, unseen


def reference_texts(locale_dir: Path = LOCALE_DIR) -> dict[str, str]:
    """key → 简体 text: the reference for the template's placeholder flags."""
    return {m.id: m.string for m in read_catalogue(po_path(DEFAULT_LANGUAGE, locale_dir)) if m.id}


def update_catalogues(languages: Iterable[str] = LANGUAGES, locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Bring each .po in line with the template (new keys get an empty msgstr); returns files changed."""
    template = read_catalogue(template_path(locale_dir))
    changed = []
    for lang in languages:
        po = po_path(lang, locale_dir)
        catalog = read_catalogue(po, locale=lang) if po.exists() else new_catalog(lang)
        # Guessing a new key's text from a similar key would put wrong words on screen.
        catalog.update(template, no_fuzzy_matching=True)
        if write_catalogue(po, catalog):
            changed.append(po)
    return changed
