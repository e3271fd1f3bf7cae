"""养老待遇资格认证's face step (kiosk.flows.wizard_face) with fakes: capture → the gateway's check
of the session → the answer; a mismatch, the daily lock, the camera gone, a card pulled mid-capture,
a session opened by face, and the menu without a camera."""

from kiosk.errors import FaceRefused
from kiosk.ports import FaceOutcome
from kiosk.state import Screen, WizardStep
from tests.kiosk.fakes import FakeFacePort, make_controller

SERVICE = "services.enabled=['pension_certification']"
CHECK_ID = "fc" * 16


def log_in(controller):
    controller.card_inserted()
    for digit in "123456":
        controller.pin_digit(digit)
    controller.pin_submit()
    assert controller.state.screen is Screen.MENU


def to_face_step(controller):
    controller.choose_service("pension_certification")
    controller.intent("tick")
    controller.intent("next")  # 须知 → the resident's data
    controller.intent("next")  # → the face step
    view = controller.state.wizard
    assert view.step is WizardStep.FIELD and view.question.name == "face_check"
    assert (view.step_number, view.step_count) == (3, 4)


def test_a_live_match_is_the_answer_and_the_review_never_shows_its_id():
    face = FakeFacePort()
    controller, _card, backend, *_ = make_controller(SERVICE, face=face)
    seen = []
    controller.subscribe(lambda state: seen.append((state.screen, state.face_preview is not None)))
    log_in(controller)
    to_face_step(controller)
    controller.intent("next")  # not yet done
    assert controller.state.wizard.error == "form.error.face"
    controller.intent("face")
    assert (Screen.FACE, True) in seen  # the live preview reached the camera screen
    assert ("face_check", "S1", 2) in backend.calls
    view = controller.state.wizard
    assert controller.state.screen is Screen.WIZARD and view.value == CHECK_ID and view.face_status == "done"
    assert controller.state.face_preview is None
    controller.intent("next")
    review = controller.state.wizard.review
    assert review == [("form.pension.face_check", "", "form.face.done")]
    assert CHECK_ID not in str(review)
    controller.intent("submit")
    assert ("submit_application", "S1", "pension_certification", {"face_check": CHECK_ID}) == backend.calls[-1][:4]


def test_a_mismatch_says_why_and_a_retry_passes():
    face = FakeFacePort()
    controller, _card, backend, *_ = make_controller(SERVICE, face=face)
    log_in(controller)
    to_face_step(controller)
    backend.fail = FaceRefused(403, "face_mismatch", "人脸比对不一致", "The face does not match")
    controller.intent("face")
    view = controller.state.wizard
    assert controller.state.screen is Screen.WIZARD and view.face_status == "failed" and not view.value
    assert view.failure.params == {"reason": "人脸比对不一致"}
    backend.fail = None
    controller.intent("face")  # 重试
    view = controller.state.wizard
    assert view.value == CHECK_ID and view.failure is None and view.face_status == "done"


def test_the_daily_lock_sends_the_resident_to_the_counter_with_no_retry():
    face = FakeFacePort()
    controller, _card, backend, *_ = make_controller(SERVICE, face=face)
    log_in(controller)
    to_face_step(controller)
    backend.fail = FaceRefused(429, "face_locked", "今日人脸验证失败次数过多，请到服务窗口办理", "go to the counter")
    controller.intent("face")
    view = controller.state.wizard
    assert view.face_status == "locked" and "窗口" in view.failure.params["reason"]
    backend.fail = None
    checks = len(backend.calls)
    controller.intent("face")  # no retry once locked
    assert len(backend.calls) == checks
    assert controller.state.wizard.face_status == "locked"


def test_failed_liveness_or_a_camera_gone_shows_the_reason_and_uploads_nothing():
    face = FakeFacePort()
    controller, _card, backend, *_ = make_controller(SERVICE, face=face)
    log_in(controller)
    to_face_step(controller)
    for key in ("face.liveness.timeout", "camera.disconnected"):
        face.outcome = FaceOutcome(False, key, [])
        controller.intent("face")
        view = controller.state.wizard
        assert controller.state.screen is Screen.WIZARD and view.failure.key == key and view.face_status == "failed"
    assert not any(call[0] == "face_check" for call in backend.calls)


def test_cancel_on_the_camera_screen_goes_back_to_the_step():
    face = FakeFacePort()
    face.auto_finish = False
    controller, *_ = make_controller(SERVICE, face=face)
    log_in(controller)
    to_face_step(controller)
    controller.intent("face")
    assert controller.state.screen is Screen.FACE
    controller.cancel_face()
    assert face.cancelled == 1
    view = controller.state.wizard
    assert controller.state.screen is Screen.WIZARD and view.failure is None and not view.value


def test_a_card_pulled_mid_capture_submits_nothing_and_leaves_nothing():
    face = FakeFacePort()
    face.auto_finish = False
    controller, _card, backend, *_ = make_controller(SERVICE, face=face)
    log_in(controller)
    to_face_step(controller)
    controller.intent("face")
    assert controller.state.screen is Screen.FACE and controller.state.face_preview is not None
    controller.card_removed()
    assert face.cancelled == 1  # the camera stopped with the session
    assert not any(call[0] in ("face_check", "submit_application") for call in backend.calls)
    assert controller.state.wizard is None and controller.state.face_preview is None
    assert not controller.state.holds_resident_data()


def test_a_session_opened_by_face_skips_the_step():
    face = FakeFacePort()
    controller, _card, backend, *_ = make_controller(SERVICE, face=face)
    controller.card_inserted()
    controller.choose_face()
    assert controller.state.screen is Screen.MENU and controller.session.by_face
    controller.choose_service("pension_certification")
    controller.intent("tick")
    controller.intent("next")
    controller.intent("next")
    view = controller.state.wizard
    assert view.step is WizardStep.REVIEW and view.step_count == 3 and view.review == []
    controller.intent("submit")
    assert backend.calls[-1][:4] == ("submit_application", "S2", "pension_certification", {})


def test_without_a_camera_the_service_is_disabled_with_the_reason():
    controller, *_ = make_controller(SERVICE)
    log_in(controller)
    [item] = controller.state.menu
    assert item.service == "pension_certification" and not item.enabled
    assert item.reason.key == "service.camera_unavailable"
    controller.choose_service("pension_certification")
    assert controller.state.screen is Screen.MENU
