"""The session core with its flows, without Kivy: the catalogue, a card put back, the application
wizard, paging, staff intents between residents, and the restart that waits."""

from __future__ import annotations

import dataclasses

from common.config import KNOWN_SERVICES
from kiosk.errors import BackendTimeout
from kiosk.flows import FLOWS
from kiosk.services import CATALOGUE, CardParams, CertificateParams, QueryParams, WizardParams
from kiosk.state import Screen, WizardStep
from tests.kiosk.fakes import FakeQrScanPort, make_controller

FLOW_PARAMS = {
    "query": QueryParams,
    "certificate": CertificateParams,
    "wizard": WizardParams,
    "change_pin": CardParams,
}


def log_in(controller, pin="123456"):
    controller.card_inserted()
    for digit in pin:
        controller.pin_digit(digit)
    controller.pin_submit()
    assert controller.state.screen is Screen.MENU


def test_every_catalogue_entry_names_a_flow_with_matching_parameters():
    assert set(CATALOGUE) == set(KNOWN_SERVICES)
    for spec in CATALOGUE.values():
        assert spec.flow in FLOWS, spec.id
        assert isinstance(spec.params, FLOW_PARAMS[spec.flow]), spec.id
        if spec.flow == "wizard":
            names = [field.name for field in spec.params.form.fields]
            assert len(names) == len(set(names)), spec.id


def test_a_card_put_back_while_the_session_was_ending_is_read():
    controller, card, *_ = make_controller()
    log_in(controller)
    card.present = False
    controller.card_removed()  # pulled in the menu: "card removed" message, then the attract screen
    assert controller.state.screen is Screen.MESSAGE
    card.present = True  # put back 1.6 s later: its insert event came while the message was showing
    controller.card_inserted()
    assert controller.state.screen is Screen.MESSAGE
    controller.back_to_menu()  # no session: nothing happens
    clock = controller._clock
    clock.now += controller.config.session.message_seconds + 1
    controller.tick()
    assert controller.state.screen is Screen.PIN  # the reader was asked on the attract screen
    assert controller.state.resident_name == "张建国"


def test_a_new_service_is_a_catalogue_entry_run_by_a_generic_flow():
    controller, card, backend, *_ = make_controller("services.enabled=['card_info']")
    log_in(controller)
    controller.choose_service("card_info")
    assert controller.state.screen is Screen.RECORDS
    assert controller.state.records.rows == [["A1****678", "正常", "已领取", "2030-06-01"]]
    assert ("cards", "S1") in backend.calls


def test_contributions_page_through_the_gateways_pages():
    controller, card, backend, *_ = make_controller("services.enabled=['contributions']")
    pages = []

    def contributions(session_id, from_period=None, to_period=None, page=1, page_size=100):
        pages.append(page)
        return {"items": [], "totals": {}, "page": page, "page_size": 100, "total_items": 250}

    backend.contributions = contributions
    log_in(controller)
    controller.choose_service("contributions")
    assert (controller.state.records.page, controller.state.records.pages) == (1, 3)
    controller.intent("page_next")
    controller.intent("page_next")
    controller.intent("page_next")  # already on the last page
    controller.intent("page_prev")
    assert pages == [1, 2, 3, 2]


def wizard_until_review(controller, phone="13912345678"):
    controller.choose_service("contact_update")
    view = controller.state.wizard
    assert controller.state.screen is Screen.WIZARD and view.step is WizardStep.NOTICE
    assert (view.step_number, view.step_count) == (1, 5)  # 须知, data, what to change, the phone, review
    controller.intent("next")
    assert controller.state.wizard.error == "wizard.must_agree"
    controller.intent("tick")
    controller.intent("next")
    view = controller.state.wizard
    assert view.step is WizardStep.CONFIRM
    assert view.resident[1][1].startswith("3205") and "*" in view.resident[1][1]
    controller.intent("next")
    assert controller.state.wizard.question.name == "change"
    controller.intent("input", "phone")
    controller.intent("next")
    assert controller.state.wizard.step is WizardStep.FIELD and controller.state.wizard.question.name == "phone"
    for digit in "1391234":
        controller.intent("type", digit)
    controller.intent("type", "x")  # not a digit: ignored on a phone keypad
    controller.intent("next")
    assert controller.state.wizard.error == "form.error.phone"
    controller.intent("input", phone)
    controller.intent("next")
    assert controller.state.wizard.step is WizardStep.REVIEW
    assert controller.state.wizard.review == [
        ("form.contact.change", "phone", "form.contact.change.phone"),
        ("form.contact.phone", phone, None),
    ]


def test_the_application_wizard_runs_a_whole_application_without_kivy():
    controller, card, backend, printer, *_ = make_controller("services.enabled=['contact_update']")
    log_in(controller)
    wizard_until_review(controller)
    controller.intent("submit")
    view = controller.state.wizard
    assert view.step is WizardStep.RESULT and view.receipt["number"] == "SQ000001"
    assert backend.submitted[0][0] == "contact_update"
    assert ("submit_application", "S1", "contact_update", {"phone": "13912345678"}, backend.submitted[0][1]) in (
        backend.calls
    )
    controller.intent("submit")  # a second touch on the result screen submits nothing
    assert len(backend.submitted) == 1
    controller.intent("print")
    assert printer.printed == [("receipt", "SQ000001", "zh_CN")]
    assert controller.state.message.key == "print.done"
    controller.finish()
    assert controller.state.wizard is None and not controller.state.holds_resident_data()


def test_a_wizard_retried_after_a_timeout_is_the_same_application():
    controller, card, backend, *_ = make_controller("services.enabled=['contact_update']")
    log_in(controller)
    wizard_until_review(controller)
    backend.fail = BackendTimeout("read timed out")
    controller.intent("submit")
    view = controller.state.wizard
    assert view.step is WizardStep.REVIEW and view.failure.key == "backend.timeout"
    backend.fail = None
    controller.intent("submit")
    keys = {call[4] for call in backend.calls if call[0] == "submit_application"}
    assert len(keys) == 1  # the same idempotency key both times


def test_a_card_pulled_mid_wizard_ends_the_session_with_nothing_submitted():
    controller, card, backend, *_ = make_controller("services.enabled=['contact_update']")
    log_in(controller)
    wizard_until_review(controller)
    controller.card_removed()
    controller.intent("submit")
    assert not backend.submitted
    assert controller.state.wizard is None and not controller.state.holds_resident_data()


def test_staff_print_jobs_wait_for_the_resident_to_leave():
    controller, card, backend, printer, journal, clock = make_controller()
    answers = []
    log_in(controller)
    controller.staff.post("print_test_page", lambda ok, text: answers.append((ok, text)))
    assert answers == [] and controller.printing.staff_runs == []
    controller.finish()
    assert controller.printing.staff_runs == []  # "take your card" is still the resident's
    controller.card_removed()
    assert controller.state.screen is Screen.ATTRACT
    assert controller.printing.staff_runs == ["print_test_page"]
    assert answers == [(True, "print_test_page done")]


def test_maintenance_is_kept_in_one_place_and_waits_for_the_resident():
    controller, *_ = make_controller()
    log_in(controller)
    controller.staff.post("maintenance_on", lambda ok, text: None)
    assert not controller.out_of_service
    controller.finish()
    controller.card_removed()
    assert controller.out_of_service and controller.state.screen is Screen.OUT_OF_SERVICE


def test_a_restart_waits_for_the_session_then_ends_it_cleanly_at_the_limit():
    controller, card, backend, printer, journal, clock = make_controller()
    restarts = []
    controller.staff.restart_handler = lambda: restarts.append(clock.now)
    controller.staff.restart_wait = 120
    log_in(controller)
    controller.staff.post("restart_app", lambda ok, text: None)
    clock.now += 60
    controller.touch()
    controller.tick()
    assert restarts == [] and controller.state.screen is Screen.MENU
    clock.now += 61
    controller.touch()
    controller.tick()
    assert controller.state.screen is Screen.MESSAGE
    assert controller.state.message.key == "terminal.restarting"
    assert not controller.state.holds_resident_data()
    clock.now += controller.config.session.message_seconds + 1
    controller.tick()
    assert controller.state.screen is Screen.REMOVE_CARD
    assert len(restarts) == 1


def test_no_new_resident_is_taken_while_a_restart_waits_for_the_printer():
    controller, card, *_ = make_controller()
    controller.staff.restart_handler = lambda: None
    controller.printing.idle = False
    controller.staff.post("restart_app", lambda ok, text: None)
    controller.card_inserted()
    assert controller.state.screen is Screen.ATTRACT


def test_a_restart_with_no_resident_waits_for_the_print_service():
    controller, *_, clock = make_controller()
    restarts = []
    controller.staff.restart_handler = lambda: restarts.append(True)
    controller.printing.idle = False  # finishing a job
    controller.staff.post("restart_app", lambda ok, text: None)
    assert restarts == []
    controller.printing.idle = True
    controller.tick()
    assert restarts == [True]


def test_config_offered_mid_session_applies_when_the_session_ends():
    controller, *_ = make_controller()
    log_in(controller)
    config = controller.config
    new = config.model_copy(update={"terminal": config.terminal.model_copy(update={"language": "en"})})
    controller.apply_config(new)
    assert controller.config is config and controller.state.language == "zh_CN"
    controller.finish()
    controller.card_removed()
    assert controller.config is new and controller.state.language == "en"


def test_the_idle_flag_is_readable_from_any_thread_and_follows_the_resident():
    controller, *_ = make_controller()
    assert controller.is_idle()
    log_in(controller)
    assert not controller.is_idle()
    controller.finish()
    assert not controller.is_idle()
    controller.card_removed()
    assert controller.is_idle()
    assert dataclasses.is_dataclass(controller.state)


CODE_A = "ESSC1-" + "A" * 26
CODE_B = "ESSC1-" + "B" * 26


def test_a_cardless_sign_in_ends_on_the_attract_screen_and_ignores_card_events():
    scanner = FakeQrScanPort()
    controller, card, backend, *_ = make_controller(qr_scan=scanner)
    assert controller.state.esscard_available
    controller.choose_esscard()
    assert controller.state.screen is Screen.FACE and not controller.is_idle()
    card.present = True
    controller.card_inserted()  # a card pushed in while the phone is shown is not taken in
    scanner.show(CODE_A)
    assert controller.state.screen is Screen.MENU and controller.state.resident_name == "李秀英"
    card.present = False
    controller.card_removed()
    assert controller.state.screen is Screen.MENU
    controller.finish()
    assert controller.state.screen is Screen.ATTRACT  # no card to take: straight back
    assert not controller.state.holds_resident_data()
    assert ("end_session", "E-AAAA") in backend.calls


def test_cardless_residents_never_share_an_unfinished_printout():
    scanner = FakeQrScanPort()
    controller, card, backend, *_ = make_controller(qr_scan=scanner)
    backend.esscard_people[CODE_B] = {"name": "王建华", "ssn_masked": "3205**********0311"}
    keys = []
    for code in (CODE_A, CODE_B, CODE_A):
        controller.choose_esscard()
        scanner.show(code)
        keys.append(controller.session.request_key("certificate", "insured", "", ""))
        controller.finish()
    assert keys[0] == keys[2] != keys[1]  # the same resident again matches; another never does
    assert controller.session.request_key("x") != controller.session.request_key("x")  # nobody signed in
