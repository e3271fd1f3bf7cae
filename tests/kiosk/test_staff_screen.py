"""The maintenance screen's core without Kivy: the hidden gesture, the staff PIN (only its salted
hash in config; a weak or empty one turns the gesture off), the staff's actions, and leaving."""

from __future__ import annotations

import pytest

from kiosk.staff_access import CornerTaps, hash_pin, hash_refusal, pin_refusal, verify_pin
from kiosk.state import Screen
from tests.kiosk.fakes import make_controller

SALT = bytes(range(16))
STAFF_HASH = hash_pin("480915", salt=SALT)


def five_taps(controller, gap=0.4):
    for _ in range(5):
        controller.staff_screen.corner_tap()
        controller._clock.now += gap


def unlock(controller, pin="480915"):
    five_taps(controller)
    assert controller.state.screen is Screen.MAINTENANCE
    for digit in pin:
        controller.staff_screen.digit(digit)
    controller.staff_screen.submit()


def test_the_hash_is_salted_and_verified_and_weak_pins_or_hashes_are_refused():
    assert "480915" not in STAFF_HASH and STAFF_HASH.startswith("pbkdf2_sha256$200000$")
    assert hash_pin("480915") != hash_pin("480915")  # a fresh salt each time
    assert verify_pin("480915", STAFF_HASH) and not verify_pin("480916", STAFF_HASH)
    for weak in ("", "12345", "123456", "654321", "111111", "12ab56"):
        assert pin_refusal(weak) is not None, weak
        with pytest.raises(ValueError):
            hash_pin(weak)
    assert hash_refusal("") and hash_refusal("480915") and hash_refusal("pbkdf2_sha256$1000$00$00")
    assert hash_refusal(hash_pin("480915", iterations=1000)) is not None
    assert not verify_pin("480915", hash_pin("480915", iterations=1000))  # weak: never accepted
    assert hash_refusal(STAFF_HASH) is None


def test_five_taps_within_three_seconds():
    taps = CornerTaps()
    assert not any(taps.tap(t) for t in (0, 1, 2, 3, 4))  # 4 s from first to fifth
    assert [taps.tap(t) for t in (10, 10.5, 11, 11.5, 12)] == [False] * 4 + [True]


def test_without_a_usable_hash_the_gesture_does_nothing():
    for config in ((), ("ui.staff_pin_hash='not-a-hash'",)):
        controller, *_ = make_controller(*config)
        five_taps(controller)
        assert controller.state.screen is Screen.ATTRACT


def test_staff_unlock_print_a_test_page_switch_maintenance_and_leave():
    controller, card, backend, printing, *_ = make_controller(f"ui.staff_pin_hash='{STAFF_HASH}'")
    five_taps(controller, gap=1.0)  # 4 s: not the gesture
    assert controller.state.screen is Screen.ATTRACT
    unlock(controller)
    staff = controller.state.staff
    assert staff.unlocked and staff.terminal_id == controller.config.terminal.id and staff.version
    assert staff.card_present is False
    assert controller.is_idle()  # no resident: staff intents run now
    controller.staff_screen.print_test_page()
    assert controller.state.staff.result.startswith("OK")
    controller.staff_screen.toggle_maintenance()
    assert controller.out_of_service and controller.state.staff.out_of_service
    controller.staff_screen.leave()
    assert controller.state.screen is Screen.OUT_OF_SERVICE and controller.state.staff is None
    unlock(controller)  # the gesture works on the out-of-service screen too
    controller.staff_screen.toggle_maintenance()
    controller.staff_screen.leave()
    assert controller.state.screen is Screen.ATTRACT


def test_wrong_pins_close_the_screen_and_lock_the_gesture():
    controller, *_ = make_controller(f"ui.staff_pin_hash='{STAFF_HASH}'")
    five_taps(controller)
    for tries in range(3):
        for digit in "000000":
            controller.staff_screen.digit(digit)
        controller.staff_screen.submit()
        if tries < 2:
            assert controller.state.staff.message.key == "staff.pin_wrong"
            assert not controller.state.staff.unlocked
    assert controller.state.screen is Screen.ATTRACT
    five_taps(controller)
    assert controller.state.screen is Screen.ATTRACT  # locked out for a while
    controller._clock.now += 301
    five_taps(controller)
    assert controller.state.screen is Screen.MAINTENANCE


def test_no_gesture_during_a_session_and_an_untouched_screen_closes():
    controller, *_ = make_controller(f"ui.staff_pin_hash='{STAFF_HASH}'")
    controller.card_inserted()
    assert controller.state.screen is Screen.PIN
    five_taps(controller)
    assert controller.state.screen is Screen.PIN
    controller.finish()
    controller.card_removed()
    assert controller.state.screen is Screen.ATTRACT
    unlock(controller)
    controller._clock.now += controller.config.session.idle_timeout + 1
    controller.tick()
    assert controller.state.screen is Screen.ATTRACT
