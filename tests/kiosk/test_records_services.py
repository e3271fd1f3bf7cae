"""The 查询 services' loaders and the query flow's period choice, without Kivy: 缴费明细 for a
chosen period with page subtotals, 待遇发放 paged here with its total, 办事进度 with each
application's status history, 个人权益单 by year and 制卡进度."""

from __future__ import annotations

import datetime as dt

from kiosk import periods
from kiosk.records import application_records, benefit_records, card_records, contribution_records, rights_records
from kiosk.state import Screen
from tests.kiosk.fakes import make_controller
from tests.kiosk.test_session_core import log_in


def payment(period: str, amount: str = "3,000.50") -> dict:
    return {
        "kind": "pension",
        "kind_name": "基本养老金",
        "period": period,
        "amount": amount,
        "paid_on": None,
        "status": "paid",
    }


def test_benefits_are_paged_on_the_kiosk_and_totalled_over_every_page():
    items = [payment(f"2026-{month:02d}", "1000.10") for month in range(11, 0, -1)]
    first = benefit_records({"items": items, "total_amount": "11001.10"}, "en", page=1, page_size=8)
    assert (first.page, first.pages, len(first.rows)) == (1, 2, 8)
    assert first.rows[0] == ["2026-11", "Basic pension", "1,000.10", "", "Paid"]
    assert "11,001.10" in first.summary[0] and "11" in first.summary[0]
    last = benefit_records({"items": items}, "zh_CN", page=5, page_size=8)
    assert (last.page, len(last.rows), last.rows[0][1]) == (2, 3, "基本养老金")
    assert benefit_records({"items": []}, "zh_CN").summary == [benefit_records({"items": []}, "zh_CN").summary[0]]


def test_an_unknown_code_shows_the_gateways_own_name():
    item = {**payment("2026-01"), "kind": "sickness", "kind_name": "病假工资", "status": "held"}
    assert benefit_records({"items": [item]}, "en").rows[0][1::3] == ["病假工资", "held"]


def test_applications_show_each_status_change_under_the_application():
    answer = {
        "items": [
            {
                "number": "SQ2026113000000007",
                "kind": "card_reissue",
                "type_name": "社保卡补卡",
                "status": "producing",
                "status_name": "制卡中",
                "submitted_at": "2026-11-20T09:00:00+00:00",
                "history": [
                    {"status": "submitted", "status_name": "已提交", "note": None, "at": "2026-11-20T09:00:00+00:00"},
                    {"status": "producing", "status_name": "制卡中", "note": "批次 12", "at": "2026-11-22T10:30:00"},
                ],
            }
        ]
    }
    records = application_records(answer, "zh_TW")
    assert records.rows[0] == ["社保卡补卡 SQ2026113000000007", "製卡中", "2026-11-20", ""]
    assert records.rows[1] == ["", "· 已提交", "2026-11-20 09:00", ""]
    assert records.rows[2] == ["", "· 製卡中", "2026-11-22 10:30", "批次 12"]
    assert application_records({"items": []}, "en").summary


def test_the_rights_statement_of_one_year():
    answer = {
        "years": [
            {
                "year": 2025,
                "months_paid": 12,
                "average_base": "6000",
                "personal": "5760.00",
                "unit": "19200.00",
                "pension_account_balance": "41234.50",
                "by_type": [
                    {
                        "type_code": "110",
                        "type_name": "企业职工基本养老保险",
                        "months": "12",
                        "personal": "5760.00",
                        "unit": "19200.00",
                    }
                ],
            }
        ]
    }
    records = rights_records(answer, "zh_CN")
    assert records.rows == [["企业职工基本养老保险", "12", "5,760.00", "19,200.00"]]
    assert any("2025" in line and "12" in line for line in records.summary)
    assert any("41,234.50" in line for line in records.summary)
    assert rights_records({"years": []}, "en").summary


def test_contributions_show_the_pages_subtotal_beside_the_ranges_totals():
    items = [{"period": "2026-01", "type_name": "养老", "base": "5000", "personal": "400.00", "unit": "800.00"}] * 2
    answer = {
        "items": items,
        "page": 1,
        "page_size": 2,
        "total_items": 5,
        "totals": {"months_paid": 5, "personal": "2000.00", "unit": "4000.00"},
    }
    records = contribution_records(answer, "en")
    assert "800.00" in records.summary[0] and "1,600.00" in records.summary[0]
    assert "2,000.00" in records.summary[1]


def test_card_progress_shows_the_stage_and_the_couriers_number():
    answer = {
        "cards": [
            {
                "card_number_masked": "A1****678",
                "status_name": "正常",
                "production_stage_name": "已寄出",
                "tracking_number": "SF123",
                "expires_on": "2030-06-01",
            }
        ]
    }
    assert card_records(answer, "zh_CN").rows[0][2] == "已寄出 SF123"


def test_contributions_start_with_this_year_and_reload_for_a_chosen_period():
    controller, _card, backend, *_ = make_controller("services.enabled=['contributions']")
    asked = []

    def contributions(session_id, from_period=None, to_period=None, page=1, page_size=100):
        asked.append((from_period, to_period, page, page_size))
        return {"items": [], "totals": {}, "page": page, "page_size": page_size, "total_items": 20}

    backend.contributions = contributions
    log_in(controller)
    controller.choose_service("contributions")
    this_year = periods.preset_range("this_year")
    assert asked[-1] == (*this_year, 1, 6)
    assert controller.state.records.period.preset == "this_year"
    controller.intent("page_next")
    controller.intent("period", "last_year")
    assert asked[-2][2] == 2 and asked[-1] == (*periods.preset_range("last_year"), 1, 6)
    controller.intent("period", "custom")
    assert controller.state.screen is Screen.RECORDS and controller.state.records.period.editing
    calls = len(asked)
    controller.intent("period_step", "from:-12")
    controller.intent("period_step", "to:-1")
    controller.intent("period_step", "to:nonsense")
    assert len(asked) == calls  # the editor only redraws
    controller.intent("period_apply")
    chosen = controller.state.records.period
    assert not chosen.editing and chosen.preset == "custom"
    assert asked[-1][:2] == (chosen.start, chosen.end)
    last_year = int(periods.preset_range("last_year")[0][:4])
    assert chosen.start == f"{last_year - 1}-01" and chosen.end == f"{last_year}-11"


def test_a_wrong_range_stays_in_the_editor_with_the_reason():
    controller, _card, backend, *_ = make_controller("services.enabled=['contributions']")
    backend.contributions = lambda *a, **k: {"items": [], "totals": {}, "page": 1, "page_size": 8, "total_items": 0}
    log_in(controller)
    controller.choose_service("contributions")
    controller.intent("period", "custom")
    controller.intent("period_step", "from:+1")  # this year from February …
    for _ in range(24):
        controller.intent("period_step", "to:-1")  # … to two years ago
    controller.intent("period_apply")
    assert controller.state.records.period.editing
    assert controller.state.records.period.error == "period.error.order"
    controller.intent("period_cancel")
    assert not controller.state.records.period.editing


def test_the_rights_statement_steps_by_year():
    controller, _card, backend, *_ = make_controller("services.enabled=['rights_statement']")
    years = []

    def rights(session_id, from_year=None, to_year=None):
        years.append((from_year, to_year))
        return {"years": []}

    backend.rights = rights
    log_in(controller)
    controller.choose_service("rights_statement")
    last_year = dt.date.today().year - 1
    controller.intent("period_step", "year:-1")
    controller.intent("period", "this_year")  # no presets for one year: ignored
    controller.intent("period_step", "year:+1")
    assert years == [(last_year, last_year), (last_year - 1, last_year - 1), (last_year, last_year)]
