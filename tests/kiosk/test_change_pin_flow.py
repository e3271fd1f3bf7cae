"""修改社保卡密码 on the session core: old PIN → new PIN twice → CHANGE PIN on the card → result."""

from __future__ import annotations

import pytest

from kiosk.state import Screen
from tests.kiosk.fakes import make_controller


def signed_in(*overrides: str):
    controller, card, backend, _, _, clock = make_controller(
        "services.enabled=['insurance_info','change_pin']", *overrides
    )
    controller.card_inserted()
    type_pin(controller, "123456", controller.pin_digit, controller.pin_submit)
    assert controller.state.screen is Screen.MENU
    controller.choose_service("change_pin")
    assert controller.state.screen is Screen.CHANGE_PIN and controller.state.change_pin.step == "old"
    return controller, card, backend, clock


def type_pin(controller, pin: str, digit=None, submit=None) -> None:
    for key in pin:
        (digit or (lambda d: controller.intent("digit", d)))(key)
    (submit or (lambda: controller.intent("submit")))()


def test_change_pin_then_the_new_pin_signs_in():
    controller, card, backend, clock = signed_in()
    type_pin(controller, "123456")
    assert controller.state.change_pin.step == "new"
    type_pin(controller, "802731")
    assert controller.state.change_pin.step == "again"
    type_pin(controller, "802731")
    assert card.changes == [("123456", "802731")] and card.pin == "802731"
    assert controller.state.screen is Screen.MESSAGE and controller.state.message.key == "change_pin.done"
    assert controller.state.change_pin is None
    clock.now += 10
    controller.tick()
    assert controller.state.screen is Screen.MENU
    controller.finish()
    card.present = False
    controller.card_removed()
    assert not controller.state.holds_resident_data()
    controller.card_inserted()
    type_pin(controller, "802731", controller.pin_digit, controller.pin_submit)
    assert controller.state.screen is Screen.MENU


def test_no_pin_in_the_published_state():
    controller, card, *_ = signed_in()
    seen = []
    controller.subscribe(lambda state: seen.append(repr(state)))
    type_pin(controller, "123456")
    type_pin(controller, "802731")
    type_pin(controller, "802731")
    assert seen and not any("123456" in text or "802731" in text for text in seen)


def test_wrong_old_pin_shows_tries_left_and_asks_again():
    controller, card, *_ = signed_in()
    type_pin(controller, "111112")
    type_pin(controller, "802731")
    type_pin(controller, "802731")
    view = controller.state.change_pin
    assert controller.state.screen is Screen.CHANGE_PIN and view.step == "old"
    assert view.message.key == "pin.wrong" and view.message.params == {"tries": 2}
    assert card.pin == "123456"


def test_blocked_card_ends_with_what_to_do():
    controller, card, *_ = signed_in()
    card.blocked = True
    type_pin(controller, "123456")
    type_pin(controller, "802731")
    type_pin(controller, "802731")
    assert controller.state.message.key == "card.pin_blocked"
    assert controller.state.change_pin is None


@pytest.mark.parametrize("new", ["000000", "123456", "654321", "620517", "170562"])
def test_trivial_new_pin_is_refused_before_the_card(new):
    """The sample card's holder was born 1962-05-17."""
    controller, card, *_ = signed_in()
    type_pin(controller, "123456")
    type_pin(controller, new)
    view = controller.state.change_pin
    assert view.step == "new" and view.message.key == "card.pin_trivial" and card.changes == []


def test_the_two_new_pins_must_match():
    controller, card, *_ = signed_in()
    type_pin(controller, "123456")
    type_pin(controller, "802731")
    type_pin(controller, "802732")
    view = controller.state.change_pin
    assert view.step == "new" and view.message.key == "change_pin.mismatch" and card.changes == []


def test_short_pin_and_back_to_the_menu():
    controller, card, *_ = signed_in()
    type_pin(controller, "123")
    assert controller.state.change_pin.message.key == "card.pin_format"
    controller.intent("digit", "1")
    assert controller.state.change_pin.pin_length == 1
    controller.intent("back")
    assert controller.state.screen is Screen.MENU and controller.state.change_pin is None


def test_back_is_one_step_back_and_home_the_menu():
    controller, card, *_ = signed_in()
    type_pin(controller, "123456")
    controller.intent("back")
    assert controller.state.change_pin.step == "old"  # the old PIN is typed again
    type_pin(controller, "123456")
    type_pin(controller, "802731")
    controller.intent("back")
    assert controller.state.change_pin.step == "new" and controller.state.change_pin.pin_length == 0
    type_pin(controller, "802731")
    controller.back_to_menu()  # 首页
    assert controller.state.screen is Screen.MENU and controller.state.change_pin is None
    assert card.changes == []


def test_shuffled_pad_changes_the_key_order_per_step():
    controller, *_ = signed_in("ui.shuffled_pin_pad=true")
    orders = {controller.state.change_pin.keys}
    for pin in ("123456", "802731"):
        type_pin(controller, pin)
        orders.add(controller.state.change_pin.keys)
    assert all(sorted(keys) == sorted("0123456789") for keys in orders)
    # three random orders of ten keys are all the plain order with probability (1/10!)^3
    assert orders != {("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")}


def test_plain_pad_by_default():
    controller, *_ = signed_in()
    assert controller.state.change_pin.keys == ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
