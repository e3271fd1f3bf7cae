"""The resident session state machine, without a display: intents in, KioskState out."""

from kiosk.errors import BackendRejected, BackendUnavailable, CardError, CardErrorKind
from kiosk.printer_status import PrinterStatus
from kiosk.state import Screen
from tests.kiosk.fakes import make_controller, removed_error


def log_in(controller, pin="123456"):
    controller.card_inserted()
    assert controller.state.screen is Screen.PIN
    for digit in pin:
        controller.pin_digit(digit)
    controller.pin_submit()


def test_full_journey_leaves_nothing_behind():
    controller, card, backend, printer, journal, clock = make_controller()
    seen = []
    controller.subscribe(lambda state: seen.append(state.screen))
    assert controller.state.screen is Screen.ATTRACT
    controller.card_inserted()
    assert controller.state.screen is Screen.PIN
    assert controller.state.resident_name == "张建国"
    for digit in "123456":
        controller.pin_digit(digit)
    assert controller.state.pin_length == 6
    controller.pin_submit()
    assert card.pins == ["123456"]
    assert controller.state.screen is Screen.MENU
    assert [item.service for item in controller.state.menu] == ["insurance_info", "print_insured_certificate"]
    assert controller.state.printer_status is PrinterStatus.READY

    controller.choose_service("insurance_info")
    assert controller.state.screen is Screen.RECORDS
    assert controller.state.records.rows[0][0] == "职工基本养老保险"
    assert "420" in controller.state.records.summary[0]
    controller.back_to_menu()
    controller.choose_service("print_insured_certificate")
    assert controller.state.screen is Screen.PRINT_PREVIEW
    assert controller.state.preview_png == b"\x89PNG-preview"
    controller.confirm_print()
    assert len(printer.printed) == 1
    assert journal.events == [("issued", "RS202611240001"), ("sent", 1), ("confirmed", 1)]
    assert controller.state.screen is Screen.MESSAGE and controller.state.message.key == "print.done"

    controller.finish()
    assert controller.state.screen is Screen.REMOVE_CARD
    assert not controller.state.holds_resident_data()
    assert ("end_session", "S1") in backend.calls
    assert card.closed == 1
    controller.card_removed()
    assert controller.state.screen is Screen.ATTRACT
    assert not controller.state.holds_resident_data()
    assert Screen.BUSY in seen and Screen.READING in seen


def test_wrong_pin_shows_tries_then_blocked_message():
    controller, card, *_ = make_controller("session.max_pin_attempts=3")
    log_in(controller, "000000")
    assert controller.state.screen is Screen.PIN
    assert controller.state.pin_message.key == "pin.wrong"
    assert controller.state.pin_message.params == {"tries": 2}
    assert controller.state.pin_length == 0
    card.blocked = True
    for digit in "111111":
        controller.pin_digit(digit)
    controller.pin_submit()
    assert controller.state.screen is Screen.MESSAGE
    assert controller.state.message.key == "card.pin_blocked"
    assert not controller.state.holds_resident_data()


def test_kiosk_stops_asking_after_max_attempts():
    controller, card, *_ = make_controller("session.max_pin_attempts=1")
    log_in(controller, "000000")
    assert controller.state.message.key == "pin.too_many"


def test_short_pin_refused_without_talking_to_card():
    controller, card, *_ = make_controller()
    log_in(controller, "123")
    assert controller.state.screen is Screen.PIN
    assert controller.state.pin_message.key == "card.pin_format"
    assert card.pins == []


def test_pin_pad_ignores_extra_digits_and_edits():
    controller, *_ = make_controller()
    controller.card_inserted()
    for digit in "12345678":
        controller.pin_digit(digit)
    assert controller.state.pin_length == 6
    controller.pin_delete()
    assert controller.state.pin_length == 5
    controller.pin_clear()
    assert controller.state.pin_length == 0
    controller.pin_digit("x")
    assert controller.state.pin_length == 0


def test_foreign_card_message_then_remove_card():
    controller, card, _, _, _, clock = make_controller()
    card.read_error = CardError(CardErrorKind.NOT_SOCIAL_SECURITY_CARD, "6A82")
    controller.card_inserted()
    assert controller.state.screen is Screen.MESSAGE
    assert controller.state.message.key == "card.not_sscard"
    clock.now += controller.config.session.message_seconds + 1
    controller.tick()
    assert controller.state.screen is Screen.REMOVE_CARD
    controller.card_removed()
    assert controller.state.screen is Screen.ATTRACT


def test_card_pulled_mid_read_ends_quietly():
    controller, card, *_ = make_controller()
    card.read_error = removed_error()
    controller.card_inserted()
    assert controller.state.message.key == "card.removed"
    assert not controller.state.holds_resident_data()


def test_card_removed_in_menu_ends_session():
    controller, card, backend, *_ = make_controller()
    log_in(controller)
    assert controller.state.screen is Screen.MENU
    controller.card_removed()
    assert controller.state.screen is Screen.MESSAGE
    assert controller.state.message.key == "card.removed"
    assert not controller.state.holds_resident_data()
    assert ("end_session", "S1") in backend.calls


def test_backend_down_at_login_and_rejection_reason():
    controller, card, backend, *_ = make_controller()
    backend.fail = BackendUnavailable("connection refused")
    log_in(controller)
    assert controller.state.message.key == "backend.unavailable"
    controller.card_removed()
    backend.fail = BackendRejected(409, "card_lost", "该卡已挂失", "This card is reported lost")
    log_in(controller)
    assert controller.state.message.key == "backend.rejected"
    assert controller.state.message.params["reason"] == "该卡已挂失"


def test_query_failure_returns_to_menu_keeping_session():
    controller, card, backend, _, _, clock = make_controller()
    log_in(controller)
    backend.fail = BackendUnavailable("503")
    controller.choose_service("insurance_info")
    assert controller.state.message.key == "backend.unavailable"
    backend.fail = None
    clock.now += 10
    controller.tick()
    assert controller.state.screen is Screen.MENU
    assert controller.state.session_active


def test_printer_out_of_paper_disables_printing_and_keeps_job():
    controller, card, backend, printer, journal, _ = make_controller()
    log_in(controller)
    controller.choose_service("print_insured_certificate")
    printer.fail_with = "NO_PAPER"
    controller.confirm_print()
    assert controller.state.message.key == "printer.no_paper"
    assert controller.state.message.params == {"then_key": "print.failed_kept"}
    assert journal.events[-1] == ("failed", 1)
    printer.state = "NO_PAPER"
    controller.back_to_menu()
    item = next(i for i in controller.state.menu if i.service == "print_insured_certificate")
    assert not item.enabled
    assert item.reason.params == {"reason_key": "printer.no_paper"}
    controller.choose_service("print_insured_certificate")
    assert controller.state.screen is Screen.MENU


def test_each_print_request_gets_its_own_idempotency_key():
    controller, card, backend, *_ = make_controller()
    log_in(controller)
    controller.choose_service("print_insured_certificate")
    controller.back_to_menu()
    controller.choose_service("print_insured_certificate")
    assert len(set(backend.issued)) == 2 and None not in backend.issued


def test_idle_countdown_then_session_ends():
    controller, card, backend, _, _, clock = make_controller("session.idle_timeout=60", "session.countdown=15")
    log_in(controller)
    clock.now += 59
    controller.tick()
    assert controller.state.countdown is None
    clock.now += 2
    controller.tick()
    assert controller.state.countdown == 14
    controller.touch()
    assert controller.state.countdown is None
    assert controller.state.screen is Screen.MENU
    clock.now += 61
    controller.tick()
    assert controller.state.countdown is not None
    clock.now += 15
    controller.tick()
    assert controller.state.screen is Screen.REMOVE_CARD
    assert not controller.state.holds_resident_data()
    assert ("end_session", "S1") in backend.calls


def test_late_answer_after_session_end_is_dropped():
    controller, card, backend, *_ = make_controller()
    log_in(controller)
    stale = controller.guard(lambda records: setattr(controller.state, "records", records))
    controller.card_removed()
    stale("records of the previous resident")
    assert controller.state.records is None


def test_language_switch_resets_after_session():
    controller, *_ = make_controller()
    controller.set_language("en")
    log_in(controller)
    assert controller.state.language == "en"
    controller.finish()
    assert controller.state.screen is Screen.REMOVE_CARD
    assert controller.state.language == "en"  # "please take your card" in the language they chose
    controller.card_removed()
    assert controller.state.language == "zh_CN"


def test_out_of_service_ignores_cards():
    controller, *_ = make_controller()
    controller.set_out_of_service(True)
    assert controller.state.screen is Screen.OUT_OF_SERVICE
    controller.card_inserted()
    assert controller.state.screen is Screen.OUT_OF_SERVICE
    controller.set_out_of_service(False)
    assert controller.state.screen is Screen.ATTRACT
