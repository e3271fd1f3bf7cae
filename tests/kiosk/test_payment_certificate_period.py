"""缴费凭证 for the months the resident chose, without Kivy: the service asks the months first
with the chooser of 缴费明细, and the 缴费明细 table prints the months on screen; the preview's
返回 goes one step back and 首页 to the menu."""

from __future__ import annotations

from kiosk import periods
from kiosk.i18n import CATALOGUES, LANGUAGES
from kiosk.state import Screen
from server.certificates import MAX_PAYMENT_MONTHS
from tests.kiosk.fakes import make_controller
from tests.kiosk.test_session_core import log_in

BOTH = "services.enabled=['contributions','print_payment_certificate']"


def recording(backend) -> list[tuple]:
    """The (kind, from, to) of every certificate the fake gateway issues."""
    asked: list[tuple] = []
    issue = backend.issue_certificate

    def issue_certificate(session_id, kind, from_period=None, to_period=None, idempotency_key=None):
        asked.append((kind, from_period, to_period))
        return issue(session_id, kind, from_period, to_period, idempotency_key=idempotency_key)

    backend.issue_certificate = issue_certificate
    return asked


def test_the_kiosk_and_the_gateway_agree_on_the_longest_certificate():
    assert periods.CERTIFICATE_MAX_MONTHS == MAX_PAYMENT_MONTHS
    for lang in LANGUAGES:
        text = CATALOGUES.lookup(periods.CERTIFICATE_TOO_LONG, lang)
        assert str(MAX_PAYMENT_MONTHS) in text, lang


def test_the_service_asks_the_months_before_the_preview():
    controller, _card, backend, *_ = make_controller(BOTH)
    asked = recording(backend)
    log_in(controller)
    controller.choose_service("print_payment_certificate")
    state = controller.state
    assert state.screen is Screen.RECORDS and not asked
    assert state.records.print_key == "cert.preview" and state.records.period.preset == "this_year"
    controller.intent("period", "last_3_years")
    assert state.screen is Screen.RECORDS and not asked  # choosing only redraws
    controller.intent("print")
    assert state.screen is Screen.PRINT_PREVIEW
    assert asked == [("payment", *periods.preset_range("last_3_years"))]
    controller.intent("back")  # 返回: the chooser again, with the months chosen
    assert state.screen is Screen.RECORDS and state.records.period.preset == "last_3_years"
    assert state.preview_png is None
    controller.intent("period", "last_year")
    controller.intent("print")
    controller.confirm_print()
    assert asked[-1] == ("payment", *periods.preset_range("last_year"))
    assert state.screen is Screen.MESSAGE and state.message.key == "print.done"


def test_a_chosen_range_longer_than_a_certificate_stays_in_the_editor():
    controller, _card, backend, *_ = make_controller(BOTH)
    asked = recording(backend)
    log_in(controller)
    controller.choose_service("print_payment_certificate")
    controller.intent("period", "custom")
    for _ in range(5):
        controller.intent("period_step", "from:-12")
    controller.intent("period_apply")
    period = controller.state.records.period
    assert period.editing and period.error == periods.CERTIFICATE_TOO_LONG
    controller.intent("print")  # the editor is open: nothing is issued
    assert not asked and controller.state.screen is Screen.RECORDS
    controller.intent("period_step", "from:+12")
    controller.intent("period_apply")
    controller.intent("print")
    assert controller.state.screen is Screen.PRINT_PREVIEW
    kind, start, end = asked[0]
    assert periods.month_index(end) - periods.month_index(start) + 1 <= periods.CERTIFICATE_MAX_MONTHS


def test_the_table_prints_its_own_months_and_comes_back_to_them():
    controller, _card, backend, *_ = make_controller(BOTH)
    asked = recording(backend)
    log_in(controller)
    controller.choose_service("contributions")
    state = controller.state
    assert state.records.print_key == "contrib.print_period"
    controller.intent("period", "last_year")
    table = state.records
    controller.intent("print")
    assert state.screen is Screen.PRINT_PREVIEW
    assert asked == [("payment", *periods.preset_range("last_year"))]
    controller.intent("back")  # 返回: the same table, same months
    assert state.screen is Screen.RECORDS and state.records is table
    controller.intent("period", "this_year")  # the table is the flow's again
    assert state.records.period.preset == "this_year"
    controller.intent("print")
    controller.back_to_menu()  # 首页
    assert state.screen is Screen.MENU and state.preview_png is None


def test_a_table_longer_than_a_certificate_says_so_instead_of_printing():
    controller, _card, backend, *_ = make_controller(BOTH)
    asked = recording(backend)
    log_in(controller)
    controller.choose_service("contributions")
    controller.intent("period", "custom")
    for _ in range(6):
        controller.intent("period_step", "from:-12")
    controller.intent("period_apply")
    assert not controller.state.records.period.editing  # 缴费明细 takes ten years …
    controller.intent("print")  # … a certificate five
    assert not asked and controller.state.screen is Screen.RECORDS
    assert CATALOGUES.lookup(periods.CERTIFICATE_TOO_LONG, "zh_CN") in controller.state.records.summary


def test_no_print_button_without_the_print_service():
    controller, *_ = make_controller("services.enabled=['contributions']")
    log_in(controller)
    controller.choose_service("contributions")
    assert controller.state.records.print_key is None


def test_other_certificates_go_straight_to_the_preview_and_back_to_the_menu():
    controller, *_ = make_controller()
    log_in(controller)
    controller.choose_service("print_insured_certificate")
    assert controller.state.screen is Screen.PRINT_PREVIEW
    controller.intent("back")
    assert controller.state.screen is Screen.MENU
