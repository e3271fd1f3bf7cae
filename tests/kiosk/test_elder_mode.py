"""长辈模式 in the session core (the resident's choice for their session, default from config)
and the legibility rules of both modes, without Kivy."""

from __future__ import annotations

from kiosk.config import load_config, parse_override
from kiosk.legibility import ELDER, NORMAL, Measure, contrast_ratio, problems
from kiosk.state import Screen
from tests.kiosk.fakes import make_controller


def log_in(controller, pin="123456"):
    controller.card_inserted()
    for digit in pin:
        controller.pin_digit(digit)
    controller.pin_submit()
    assert controller.state.screen is Screen.MENU


def test_the_choice_lasts_the_session_and_the_next_resident_starts_from_the_default():
    controller, card, *_ = make_controller()
    seen = []
    controller.subscribe(lambda state: seen.append(state.elder_mode))
    assert controller.state.elder_mode is False
    controller.set_elder_mode(True)
    assert seen[-1] is True
    log_in(controller)
    assert controller.state.elder_mode is True  # chosen at the attract screen, kept through sign-in
    controller.finish()
    assert controller.state.screen is Screen.REMOVE_CARD and controller.state.elder_mode is True
    card.present = False
    controller.card_removed()
    assert controller.state.screen is Screen.ATTRACT and controller.state.elder_mode is False


def test_the_default_comes_from_config_and_a_resident_may_turn_it_off():
    controller, card, *_ = make_controller("ui.elder_mode_default=true")
    assert controller.state.elder_mode is True
    log_in(controller)
    controller.set_elder_mode(False)
    assert controller.state.elder_mode is False
    controller.finish()
    card.present = False
    controller.card_removed()
    assert controller.state.elder_mode is True


def test_the_default_is_standard_and_remotely_settable():
    from common.config import remote_key_allowed

    assert load_config().ui.elder_mode_default is False
    assert load_config(overrides=[parse_override("ui.elder_mode_default=true")]).ui.elder_mode_default is True
    assert remote_key_allowed("ui.elder_mode_default")


def test_rules_of_both_modes_name_the_widget():
    dark, white, blue = (0.1, 0.12, 0.16), (1.0, 1.0, 1.0), (0.04, 0.36, 0.66)
    body = Measure("KioskLabel 'hello'", font_px=30, height=None, colours=(dark,), background=white)
    assert problems(body, NORMAL) == []
    assert problems(body, ELDER) == ["KioskLabel 'hello': text 30 px < 32 px (elder)"]
    button = Measure("KioskButton intent=ok 'OK'", font_px=40, height=80, colours=(white,), background=blue)
    assert problems(button, NORMAL) == []
    found = problems(button, ELDER)
    assert len(found) == 2 and all(line.startswith("KioskButton intent=ok") for line in found)
    assert "button 80 px high < 96 px" in found[0] and "contrast 6.76:1 < 7.0:1" in found[1]
    assert round(contrast_ratio(white, (0.0, 0.0, 0.0)), 1) == 21.0
