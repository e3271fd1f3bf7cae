"""The message catalogue files: complete in every language, named by the code, compiled faithfully."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR, Catalogues, mo_path, po_path
from kiosk.i18n_build import (
    BRACE_FLAG,
    check_compiled,
    compile_po,
    compiled_texts,
    extract_keys,
    placeholders,
    read_catalogue,
    template_path,
)


def texts(lang: str, locale_dir: Path = LOCALE_DIR) -> dict[str, str]:
    return {m.id: m.string for m in read_catalogue(po_path(lang, locale_dir)) if m.id and m.string}


def raw_flags(path: Path) -> dict[str, set[str]]:
    """key → flags, read from the file itself (Babel's reader drops python-brace-format on keys)."""
    flags: dict[str, set[str]] = {}
    for entry in path.read_text(encoding="utf-8").split("\n\n"):
        key = re.search(r'^msgid "(.+)"$', entry, re.M)
        if key:
            found = re.search(r"^#, (.+)$", entry, re.M)
            flags[key.group(1)] = {f.strip() for f in found.group(1).split(",")} if found else set()
    return flags


@pytest.fixture(scope="module")
def template_keys() -> list[str]:
    return [m.id for m in read_catalogue(template_path()) if m.id]


def test_every_language_has_every_key_of_the_template_with_a_text(template_keys: list[str]) -> None:
    assert len(template_keys) == len(set(template_keys))
    for lang in LANGUAGES:
        catalogue = read_catalogue(po_path(lang))
        assert str(catalogue.locale).split("_")[0] == lang.split("_")[0]
        found = {m.id: m for m in catalogue if m.id}
        assert sorted(found) == sorted(template_keys), lang
        for key, message in found.items():
            assert message.string and message.string.strip(), f"{lang}: {key} has no text"
            assert message.string != key, f"{lang}: {key} is its own text"
            assert not message.fuzzy, f"{lang}: {key} is fuzzy (it would not be compiled)"


def test_placeholders_are_identical_across_languages_and_flagged(template_keys: list[str]) -> None:
    catalogues = {lang: texts(lang) for lang in LANGUAGES}
    files = [template_path()] + [po_path(lang) for lang in LANGUAGES]
    flags = {path: raw_flags(path) for path in files}
    for key in template_keys:
        if not all(key in catalogues[lang] for lang in LANGUAGES):
            continue  # a missing text is the completeness test's to name
        fields = {lang: placeholders(catalogues[lang][key]) for lang in LANGUAGES}
        assert len(set(fields.values())) == 1, f"{key}: {fields}"
        for path in files:
            assert (BRACE_FLAG in flags[path][key]) == bool(fields[DEFAULT_LANGUAGE]), f"{path}: {key}"


def test_every_key_named_in_the_code_is_in_every_catalogue(template_keys: list[str]) -> None:
    found = extract_keys()
    named = {m.id for m in found if m.id}
    assert "attract.insert_card" in named and "doc.serial" in named  # the extraction does find keys
    missing = sorted(named - set(template_keys))
    where = {m.id: m.locations for m in found if m.id in missing}
    assert not missing, f"keys used in the code but not in kiosk.pot (scripts/i18n.py all): {where}"
    for lang in LANGUAGES:
        assert named <= set(texts(lang)), lang


def test_keys_built_at_run_time_are_in_the_catalogue(template_keys: list[str]) -> None:
    from kiosk.face_quality import QualityIssue
    from kiosk.layouts import TITLE_KEYS
    from kiosk.liveness import Challenge, LivenessFailure

    built = {issue.message_key for issue in QualityIssue}
    built |= {c.message_key for c in Challenge} | {f.message_key for f in LivenessFailure}
    built |= set(TITLE_KEYS.values()) | {"language.name", "announcement.warning", "announcement.info"}
    built |= {f"insurance.col.{name}" for name in ("type", "status", "start", "unit")}
    built |= {f"contrib.col.{name}" for name in ("period", "type", "base", "personal", "unit")}
    assert sorted(built - set(template_keys)) == []


def test_the_catalogues_serve_exactly_the_po_texts(tmp_path: Path) -> None:
    # A copy (mtimes kept): whatever .mo the checkout has is judged as it is, and nothing is written there.
    shutil.copytree(LOCALE_DIR, tmp_path / "locale", copy_function=shutil.copy2)
    catalogues = Catalogues(tmp_path / "locale")
    for lang in LANGUAGES:
        for key, text in texts(lang).items():
            assert catalogues.lookup(key, lang) == text, f"{lang}: {key}"


def test_compiled_catalogues_of_the_checkout_are_current() -> None:
    """scripts/setup.sh compiles them; a missing one is compiled at first use (see test_i18n_loading)."""
    problems = [p for p in check_compiled() if not p.endswith("is missing")]
    assert problems == [], "run: .venv/bin/python scripts/i18n.py compile"


def test_check_compiled_names_a_missing_a_stale_and_a_different_mo(tmp_path: Path) -> None:
    for lang in LANGUAGES:
        po = po_path(lang, tmp_path)
        po.parent.mkdir(parents=True)
        shutil.copy2(po_path(lang), po)
    zh_cn, zh_tw, en = (mo_path(lang, tmp_path) for lang in LANGUAGES)
    zh_tw.write_bytes(compile_po(po_path("zh_TW", tmp_path)))
    en.write_bytes(compile_po(po_path("zh_TW", tmp_path)))  # newer than its .po, but the wrong words
    stale_po = po_path("zh_TW", tmp_path)
    stale_po.write_text(stale_po.read_text(encoding="utf-8"), encoding="utf-8")
    _make_older(zh_tw, than=stale_po)
    problems = check_compiled(locale_dir=tmp_path)
    assert problems == [f"{zh_cn} is missing", f"{zh_tw} is older than kiosk.po", f"{en} does not match kiosk.po"]


def test_compiled_texts_equal_the_po_texts() -> None:
    for lang in LANGUAGES:
        assert compiled_texts(compile_po(po_path(lang))) == texts(lang)


def _make_older(path: Path, than: Path) -> None:
    reference = than.stat().st_mtime_ns
    os.utime(path, ns=(reference - 10**9, reference - 10**9))
