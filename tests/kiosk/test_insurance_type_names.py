"""Insurance types (险种) and application kinds in the screen's language: the gateway sends a code
with a 简体 name, the kiosk shows the code's words from its catalogue and the gateway's name only
for a code it does not know."""

from __future__ import annotations

import re

import pytest

from kiosk.documents import layout
from kiosk.i18n import CATALOGUES, LANGUAGES
from kiosk.layouts import build_certificate_document
from kiosk.records import application_records, contribution_records, insurance_records, rights_records
from server.store.base import INSURANCE_TYPES
from tests.drivers.printer.samples import make_certificate

HAN = re.compile(r"[\u3400-\u9fff]")


def enrolment(code: str, name: str) -> dict:
    return {"type_code": code, "type_name": name, "status": "参保缴费", "start_date": "2008-07-01", "unit_name": ""}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_gateway_code_has_words_in_every_language(lang: str) -> None:
    for code in INSURANCE_TYPES:
        assert CATALOGUES.lookup(f"insurance.type.{code}", lang), (code, lang)


def test_the_simplified_words_are_the_gateways_own_names() -> None:
    for code, name in INSURANCE_TYPES.items():
        assert CATALOGUES.lookup(f"insurance.type.{code}", "zh_CN") == name


def test_an_english_records_table_shows_no_han_for_known_codes() -> None:
    enrolments = [enrolment(code, name) for code, name in INSURANCE_TYPES.items()]
    insurance = insurance_records({"enrolments": enrolments}, "en")
    assert insurance.rows[0][0] == "Basic Pension Insurance for Enterprise Employees"
    assert not any(HAN.search(row[0]) for row in insurance.rows)
    items = [{"period": "2026-01", "type_code": code, "type_name": name} for code, name in INSURANCE_TYPES.items()]
    contributions = contribution_records({"items": items}, "en")
    assert not any(HAN.search(row[1]) for row in contributions.rows)
    by_type = [{"type_code": code, "type_name": name, "months": 12} for code, name in INSURANCE_TYPES.items()]
    rights = rights_records({"years": [{"year": 2025, "by_type": by_type}]}, "en")
    assert not any(HAN.search(row[0]) for row in rights.rows)


def test_traditional_screens_show_traditional_names() -> None:
    rows = insurance_records({"enrolments": [enrolment("390", "城乡居民基本医疗保险")]}, "zh_TW").rows
    assert rows[0][0] == "城鄉居民基本醫療保險"


def test_an_unknown_code_shows_the_gateways_name() -> None:
    rows = insurance_records({"enrolments": [enrolment("999", "补充养老保险")]}, "en").rows
    assert rows[0][0] == "补充养老保险"
    assert insurance_records({"enrolments": [{"type_code": "999"}]}, "en").rows[0][0] == "999"


def test_application_kinds_are_named_in_the_screens_language() -> None:
    answer = {
        "items": [{"number": "SQ1", "kind": "card_replacement", "type_name": "社保卡补换", "status": "submitted"}]
    }
    assert not HAN.search(application_records(answer, "en").rows[0][0])
    unknown = {"items": [{"number": "SQ2", "kind": "new_kind", "type_name": "新业务", "status": "submitted"}]}
    assert application_records(unknown, "en").rows[0][0] == "新业务 SQ2"


def test_an_english_certificate_prints_the_types_in_english() -> None:
    cert = make_certificate("insured")
    printed = "\n".join(
        line.text for line in layout(build_certificate_document(cert, "en"), 48) if hasattr(line, "text")
    )
    assert "Unemployment" in printed and "失业保险" not in printed  # a long name wraps within its column
    payment = make_certificate("payment", months=2)
    for row in payment["content"]["rows"]:
        row.update(type_code="all", type_name="各险种合计")
    printed = "\n".join(
        line.text for line in layout(build_certificate_document(payment, "zh_TW"), 48) if hasattr(line, "text")
    )
    assert "各險種合計" in printed
