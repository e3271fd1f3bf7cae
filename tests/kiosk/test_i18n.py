import re

from kiosk.errors import CardErrorKind
from kiosk.i18n import CATALOGUES, LANGUAGES, po_path, tr
from kiosk.i18n_build import read_catalogue
from kiosk.services import CATALOGUE


def has_words(key: str) -> bool:
    return all(CATALOGUES.lookup(key, lang) for lang in LANGUAGES)


def test_every_message_exists_in_every_language_with_the_same_placeholders():
    texts = {lang: {m.id: m.string for m in read_catalogue(po_path(lang)) if m.id} for lang in LANGUAGES}
    keys = set(texts["zh_CN"])
    for lang in LANGUAGES:
        assert set(texts[lang]) == keys, lang
    for key in keys:
        placeholders = {lang: set(re.findall(r"{(\w+)}", texts[lang][key])) for lang in LANGUAGES}
        assert len({frozenset(p) for p in placeholders.values()}) == 1, key


def test_every_error_and_service_has_words():
    for kind in CardErrorKind:
        assert has_words(f"card.{kind.value}")
    for status in ("READY", "PAPER_NEAR_END", "NO_PAPER", "COVER_OPEN", "OFFLINE", "ERROR"):
        assert has_words(f"printer.{status.lower()}")
    for name in CATALOGUE:
        assert has_words(f"service.{name}")


def test_tr_fills_params_and_never_raises():
    assert tr("pin.wrong", "zh_CN", tries=2) == "密码错误，还可以再试 2 次"
    assert tr("pin.wrong", "en", tries=1) == "Wrong PIN. Tries left: 1"
    assert tr("no.such.key", "zh_TW") == tr("error.generic", "zh_TW") == "出現問題，請稍後再試或聯繫工作人員"
    assert tr("pin.wrong", "zh_CN") == "密码错误，还可以再试 {tries} 次"
    assert tr("pin.title", "xx", name="王芳") == "王芳，您好"


def test_contribution_table_formats_the_gateways_decimal_strings():
    from kiosk.records import contribution_records

    data = {
        "items": [
            {"period": "2025-03", "type_name": "失业保险", "base": "7310.00", "personal": "36.55", "unit": "36.55"}
        ],
        "totals": {"months_paid": 3, "personal": "2302.65", "unit": "5636.01", "total": "7938.66"},
    }
    records = contribution_records(data, "zh_CN")
    assert records.rows == [["2025-03", "失业保险", "7,310.00", "36.55", "36.55"]]
    assert records.summary == ["缴费 3 个月，个人合计 2,302.65 元，单位合计 5,636.01 元"]
