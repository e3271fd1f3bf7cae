import re

from kiosk.errors import CardErrorKind
from kiosk.i18n import LANGUAGES, tr
from kiosk.i18n_catalog import CATALOG
from kiosk.services import CATALOGUE


def test_every_message_exists_in_every_language_with_the_same_placeholders():
    for key, entry in CATALOG.items():
        assert set(entry) == set(LANGUAGES), key
        placeholders = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert len({frozenset(p) for p in placeholders.values()}) == 1, key


def test_every_error_and_service_has_words():
    for kind in CardErrorKind:
        assert f"card.{kind.value}" in CATALOG
    for status in ("READY", "PAPER_NEAR_END", "NO_PAPER", "COVER_OPEN", "OFFLINE", "ERROR"):
        assert f"printer.{status.lower()}" in CATALOG
    for name in CATALOGUE:
        assert f"service.{name}" in CATALOG


def test_tr_fills_params_and_never_raises():
    assert tr("pin.wrong", "zh_CN", tries=2) == "密码错误，还可以再试 2 次"
    assert tr("pin.wrong", "en", tries=1) == "Wrong PIN. Tries left: 1"
    assert tr("no.such.key", "zh_TW") == CATALOG["error.generic"]["zh_TW"]
    assert tr("pin.wrong", "zh_CN") == CATALOG["pin.wrong"]["zh_CN"]
    assert tr("pin.title", "xx", name="王芳") == "王芳，您好"


def test_contribution_table_formats_the_gateways_decimal_strings():
    from kiosk.services import contribution_records

    data = {
        "items": [
            {"period": "2025-03", "type_name": "失业保险", "base": "7310.00", "personal": "36.55", "unit": "36.55"}
        ],
        "totals": {"months_paid": 3, "personal": "2302.65", "unit": "5636.01", "total": "7938.66"},
    }
    records = contribution_records(data, "zh_CN")
    assert records.rows == [["2025-03", "失业保险", "7,310.00", "36.55", "36.55"]]
    assert records.summary == ["缴费 3 个月，个人合计 2,302.65 元，单位合计 5,636.01 元"]
