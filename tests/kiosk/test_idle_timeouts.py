"""Per-screen idle timeouts (session.idle_timeouts): each screen its own time, the countdown as before."""

from __future__ import annotations

import pytest

from common.config import SessionConfig
from kiosk.config import load_config, parse_override
from kiosk.errors import ConfigError
from kiosk.state import Screen
from tests.kiosk.fakes import make_controller


def _idle_until_countdown(controller, clock, limit: int) -> None:
    clock.now += limit - 1
    controller.tick()
    assert controller.state.countdown is None, f"countdown before {limit} s"
    clock.now += 2
    controller.tick()
    assert controller.state.countdown is not None, f"no countdown after {limit} s"


def test_pin_pad_waits_longer_and_menu_uses_the_default():
    controller, _card, _backend, _, _, clock = make_controller(
        "session.idle_timeout=60", "session.countdown=15", "session.idle_timeouts={pin = 150, menu = 30}"
    )
    controller.card_inserted()
    assert controller.state.screen is Screen.PIN
    _idle_until_countdown(controller, clock, 150)
    for digit in "123456":
        controller.pin_digit(digit)
    controller.pin_submit()
    assert controller.state.screen is Screen.MENU and controller.state.countdown is None
    _idle_until_countdown(controller, clock, 30)
    clock.now += 15
    controller.tick()
    assert controller.state.screen is Screen.REMOVE_CARD and not controller.state.holds_resident_data()


def test_unset_screens_fall_back_to_idle_timeout():
    session = SessionConfig(idle_timeout=45, countdown=15, max_pin_attempts=3, message_seconds=5)
    assert session.idle_timeout_for("menu") == 45 and session.idle_timeout_for("pin") == 45
    assert session.model_copy(update={"idle_timeouts": {"pin": 90}}).idle_timeout_for("pin") == 90


def test_default_config_gives_typing_screens_more_time():
    session = load_config().session
    assert session.idle_timeout_for("pin") > session.idle_timeout
    assert session.idle_timeout_for("wizard") > session.idle_timeout
    assert session.idle_timeout_for("change_pin") > session.idle_timeout
    assert session.idle_timeout_for("print_preview") < session.idle_timeout


@pytest.mark.parametrize(
    ("value", "words"),
    [("{attract = 30}", "unknown: attract"), ("{pin = 2}", "5-3600"), ("{menu = 99999}", "5-3600")],
)
def test_idle_timeouts_are_validated(value, words):
    with pytest.raises(ConfigError) as err:
        load_config(overrides=[parse_override(f"session.idle_timeouts={value}")])
    assert words in str(err.value)
