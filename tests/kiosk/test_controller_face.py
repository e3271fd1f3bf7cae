"""Face verification in the session state machine: capture → server 1:1 check → menu, or back to the PIN."""

from kiosk.errors import BackendUnavailable, FaceRefused
from kiosk.ports import FaceOutcome
from kiosk.state import Screen
from tests.kiosk.fakes import FakeFacePort, make_controller


def insert(controller):
    controller.card_inserted()
    assert controller.state.screen is Screen.PIN


def test_face_option_only_with_a_camera():
    controller, *_ = make_controller()
    assert controller.state.face_available is False
    insert(controller)
    controller.choose_face()
    assert controller.state.screen is Screen.PIN


def test_live_matching_face_opens_the_session():
    face = FakeFacePort()
    controller, card, backend, *_ = make_controller(face=face)
    seen = []
    controller.subscribe(lambda state: seen.append((state.screen, state.face_preview is not None)))
    insert(controller)
    assert controller.state.face_available
    controller.choose_face()
    assert (Screen.FACE, True) in seen  # the preview reached the screen
    assert ("start_face_session", card.card.ssn, card.card.card_number, 2) in backend.calls
    assert controller.state.screen is Screen.MENU
    assert controller.state.face_preview is None
    assert card.pins == []  # the PIN was never needed


def test_failed_liveness_returns_to_the_pin_with_the_reason():
    face = FakeFacePort()
    face.outcome = FaceOutcome(False, "face.liveness.timeout", [])
    controller, card, backend, *_ = make_controller(face=face)
    insert(controller)
    controller.choose_face()
    assert controller.state.screen is Screen.PIN
    assert controller.state.pin_message.key == "face.liveness.timeout"
    assert not any(call[0] == "start_face_session" for call in backend.calls)


def test_server_mismatch_or_lock_returns_to_the_pin():
    face = FakeFacePort()
    controller, card, backend, *_ = make_controller(face=face)
    insert(controller)
    backend.fail = FaceRefused(403, "face_mismatch", "人脸比对不一致", "The face does not match")
    controller.choose_face()
    assert controller.state.screen is Screen.PIN
    assert controller.state.pin_message.params == {"reason": "人脸比对不一致"}
    backend.fail = FaceRefused(429, "face_locked", "今日人脸验证失败次数过多", "Too many failures today")
    controller.choose_face()
    assert controller.state.screen is Screen.PIN
    assert controller.state.session_active


def test_server_down_during_face_check_ends_the_session():
    face = FakeFacePort()
    controller, card, backend, *_ = make_controller(face=face)
    insert(controller)
    backend.fail = BackendUnavailable("503")
    controller.choose_face()
    assert controller.state.screen is Screen.MESSAGE
    assert controller.state.message.key == "backend.unavailable"
    assert not controller.state.holds_resident_data()


def test_cancel_and_card_removal_stop_the_camera():
    face = FakeFacePort()
    face.auto_finish = False
    controller, *_ = make_controller(face=face)
    insert(controller)
    controller.choose_face()
    assert controller.state.screen is Screen.FACE
    controller.cancel_face()
    assert face.cancelled == 1
    assert controller.state.screen is Screen.PIN
    assert controller.state.pin_message is None
    controller.choose_face()
    controller.card_removed()
    assert face.cancelled == 2
    assert not controller.state.holds_resident_data()
