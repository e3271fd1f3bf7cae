"""The card proves the resident to the gateway: key 02 after the PIN, key 01 with the face; the
session core asks the gateway for a challenge and the card for its answer, and a refused proof
ends the session instead of opening it."""

from __future__ import annotations

from common.card_auth import KEY_CARD_PRESENCE, KEY_CARDHOLDER
from kiosk.errors import CardErrorKind
from kiosk.state import Screen
from tests.kiosk.fakes import FakeFacePort, make_controller, removed_error


def log_in(controller, pin: str = "123456") -> None:
    controller.card_inserted()
    assert controller.state.screen is Screen.PIN
    for digit in pin:
        controller.pin_digit(digit)
    controller.pin_submit()


def test_pin_session_opens_with_the_cardholder_key() -> None:
    controller, card, backend, *_ = make_controller()
    log_in(controller)
    assert controller.state.screen is Screen.MENU
    assert card.authentications == [KEY_CARDHOLDER]
    names = [call[0] for call in backend.calls]
    assert names[:2] == ["session_challenge", "start_session"]


def test_wrong_pin_asks_no_challenge_and_no_proof() -> None:
    controller, card, backend, *_ = make_controller()
    log_in(controller, "000000")
    assert controller.state.screen is Screen.PIN
    assert card.authentications == [] and backend.calls == []


def test_face_session_opens_with_the_presence_key_and_no_pin() -> None:
    controller, card, backend, *_ = make_controller(face=FakeFacePort())
    controller.card_inserted()
    controller.choose_face()
    assert controller.state.screen is Screen.MENU
    assert card.authentications == [KEY_CARD_PRESENCE] and card.pins == []
    assert [call[0] for call in backend.calls][:2] == ["session_challenge", "start_face_session"]


def test_refused_proof_ends_the_session() -> None:
    controller, card, backend, *_ = make_controller()
    # The gateway does not accept the card's answer (another card's keys, a copied card number...).
    original = backend._proven
    backend._proven = lambda key_id, challenge, answer: original(key_id, challenge, bytes(16))
    log_in(controller)
    assert controller.state.screen is not Screen.MENU
    assert controller.state.message.key == "backend.rejected"
    assert controller.state.message.params["reason"] == "无法核验该社保卡"
    assert not controller.state.holds_resident_data()


def test_face_proof_refused_is_not_a_face_refusal() -> None:
    # card_not_verified is about the card, not the face: the session ends, it does not go back to the PIN.
    controller, card, backend, *_ = make_controller(face=FakeFacePort())
    original = backend._proven
    backend._proven = lambda key_id, challenge, answer: original(key_id, challenge, bytes(16))
    controller.card_inserted()
    controller.choose_face()
    assert controller.state.screen is not Screen.PIN
    assert controller.state.message.key == "backend.rejected"


def test_card_pulled_during_the_proof_ends_quietly() -> None:
    controller, card, backend, *_ = make_controller()
    card.auth_error = removed_error()
    log_in(controller)
    assert controller.state.message.key == f"card.{CardErrorKind.REMOVED.value}"
    assert not any(call[0] == "start_session" for call in backend.calls)
    assert not controller.state.holds_resident_data()


def test_the_session_core_signs_in_against_the_real_gateway(tmp_path) -> None:
    """The whole path: the virtual card in the simulated reader (real APDUs), the PIN typed on the
    pad, INTERNAL AUTHENTICATE on the gateway's challenge, the real gateway's check."""
    from drivers.factory import CardPortAdapter
    from kiosk.backend import BackendClient
    from kiosk.config import load_config, parse_override
    from kiosk.controller import KioskController
    from kiosk.worker import InlineWorker
    from server.embedded import start_embedded_server
    from tests.card_holder import card_reader
    from tests.kiosk.fakes import FakeJournal, FakePrinter, FakePrintService

    server = start_embedded_server(tmp_path, persons=4, seed=9)
    try:
        person = next(p for p in server.demo_people() if p["card_status"] == "normal")
        config = load_config(overrides=[parse_override("services.enabled=['insurance_info']")])
        with BackendClient(server.url, server.terminal_token) as backend:
            controller = KioskController(
                config,
                InlineWorker(),
                CardPortAdapter(card_reader(person)),
                backend,
                FakePrintService(FakePrinter(), FakeJournal()),
                lambda doc: b"",
            )
            log_in(controller, person["pin"])
            assert controller.state.screen is Screen.MENU, controller.state.message
            assert controller.session.session_id
            assert backend.insurance(controller.session.session_id)["person"]["name"] == person["name"]
    finally:
        server.stop()
