"""How kiosk.i18n loads the compiled catalogues: never a stale .mo, never an exception, Babel only when needed."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kiosk.i18n as i18n
from kiosk.i18n import Catalogues, mo_is_current, mo_path, po_path
from kiosk.i18n_build import compile_catalogues, compile_po

ROOT = Path(__file__).resolve().parents[2]
HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: {lang}\\n"\n\n'


def write_po(locale_dir: Path, lang: str, messages: dict[str, str]) -> Path:
    path = po_path(lang, locale_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f'msgid "{key}"\nmsgstr "{text}"\n\n' for key, text in messages.items())
    path.write_text(HEADER.format(lang=lang) + body, encoding="utf-8")
    return path


def set_mtime(path: Path, seconds_ago: int) -> None:
    when = path.stat().st_mtime_ns - seconds_ago * 10**9
    os.utime(path, ns=(when, when))


@pytest.fixture
def locale_dir(tmp_path: Path) -> Path:
    write_po(tmp_path, "zh_CN", {"error.generic": "出错了", "greet": "你好，{name}", "only.zh": "只有简体"})
    write_po(tmp_path, "zh_TW", {"error.generic": "出錯了", "greet": "你好，{name}"})
    write_po(tmp_path, "en", {"error.generic": "Error", "greet": "Hello, {name}"})
    return tmp_path


def test_a_current_mo_is_read_without_babel(locale_dir: Path) -> None:
    compile_catalogues(locale_dir=locale_dir)
    script = (
        "import sys; from pathlib import Path; from kiosk.i18n import Catalogues\n"
        "c = Catalogues(Path(sys.argv[1])); print(c.tr('greet', 'en', name='Li'), 'babel' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(locale_dir)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["Hello,", "Li", "False"]


def test_a_missing_mo_is_compiled_from_the_po_with_a_warning(
    locale_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="kiosk.i18n"):
        assert Catalogues(locale_dir).tr("greet", "zh_TW", name="王芳") == "你好，王芳"
    assert "compiling it now" in caplog.text
    assert mo_is_current("zh_TW", locale_dir)


def test_a_stale_mo_is_never_used(locale_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    compile_catalogues(locale_dir=locale_dir)
    po = write_po(locale_dir, "en", {"error.generic": "Error", "greet": "Welcome, {name}"})
    set_mtime(mo_path("en", locale_dir), seconds_ago=60)  # the .po was edited after the last compile
    assert not mo_is_current("en", locale_dir)
    with caplog.at_level(logging.WARNING, logger="kiosk.i18n"):
        assert Catalogues(locale_dir).tr("greet", "en", name="Li") == "Welcome, Li"
    assert "older than" in caplog.text and str(po) in caplog.text
    assert mo_is_current("en", locale_dir)


def test_a_read_only_locale_dir_is_served_from_memory(
    locale_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(path: Path, data: bytes) -> None:
        raise PermissionError(13, "read-only file system")

    monkeypatch.setattr(i18n, "write_atomically", refuse)
    with caplog.at_level(logging.WARNING, logger="kiosk.i18n"):
        assert Catalogues(locale_dir).tr("greet", "en", name="Li") == "Hello, Li"
    assert "from memory" in caplog.text
    assert not mo_path("en", locale_dir).exists()


def test_unknown_key_shows_the_generic_text_and_is_logged_once(
    locale_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    catalogues = Catalogues(locale_dir)
    with caplog.at_level(logging.WARNING, logger="kiosk.i18n"):
        assert catalogues.tr("no.such.key", "zh_TW") == "出錯了"
        assert catalogues.tr("no.such.key", "en") == "Error"
    assert caplog.text.count("no translation for message key 'no.such.key'") == 1


def test_missing_parameter_leaves_the_text_and_is_logged(locale_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    catalogues = Catalogues(locale_dir)
    with caplog.at_level(logging.WARNING, logger="kiosk.i18n"):
        assert catalogues.tr("greet", "en", who="Li") == "Hello, {name}"
    assert "lacks a parameter" in caplog.text
    assert catalogues.tr("greet", "en") == "Hello, {name}"  # no parameters: the text as it is


def test_a_text_missing_in_one_language_falls_back_to_simplified_chinese(locale_dir: Path) -> None:
    catalogues = Catalogues(locale_dir)
    assert catalogues.tr("only.zh", "en") == "只有简体"
    assert catalogues.tr("greet", "xx", name="王芳") == "你好，王芳"


def test_a_broken_catalogue_never_raises(locale_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    po = po_path("en", locale_dir)
    po.write_text("<<<<<<< HEAD\n" + po.read_text(encoding="utf-8") + "=======\n>>>>>>> other\n", encoding="utf-8")
    catalogues = Catalogues(locale_dir)
    with caplog.at_level(logging.WARNING, logger="kiosk.i18n"):
        assert catalogues.tr("greet", "en", name="Li") == "你好，Li"  # 简体 stands in
    assert "cannot load the en message catalogue" in caplog.text
    empty = Catalogues(locale_dir / "nowhere")
    assert empty.tr("greet", "en") == "greet"  # nothing at all to show: the key, never an exception


def test_compile_writes_only_what_changed_and_keeps_mo_current(locale_dir: Path) -> None:
    assert len(compile_catalogues(locale_dir=locale_dir)) == 3
    assert compile_catalogues(locale_dir=locale_dir) == []
    po = po_path("zh_CN", locale_dir)
    po.touch()  # saved again, same words
    set_mtime(mo_path("zh_CN", locale_dir), seconds_ago=60)
    assert compile_catalogues(locale_dir=locale_dir) == []  # touched, not rewritten
    assert mo_is_current("zh_CN", locale_dir)
    assert mo_path("zh_CN", locale_dir).read_bytes() == compile_po(po)


def test_language_names_come_from_each_catalogue() -> None:
    assert dict(i18n.LANGUAGE_NAMES) == {"zh_CN": "简体中文", "zh_TW": "繁體中文", "en": "English"}
