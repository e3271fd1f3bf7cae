"""The card wizards' photo step (kiosk.flows.wizard_photo) with fakes: the camera's photo used and
uploaded (the review says 已拍照, never the id), a receipt number typed, no camera (only the
receipt), the camera failing, an upload refused (the message, the answers kept), and a card
pulled mid-step (nothing of the photo left)."""

from __future__ import annotations

from kiosk.errors import BackendRejected, CardError, CardErrorKind
from kiosk.ports import FaceProgress, PhotoOutcome
from kiosk.state import Screen, WizardStep
from tests.kiosk.fakes import make_controller

SERVICE = "services.enabled=['card_replacement']"
PHOTO_ID = "ab" * 16
JPEG = b"\xff\xd8 the card photo"


class FakePhotoPort:
    """Reports one preview with a problem, then the photo (or ``outcome``), at once."""

    def __init__(self) -> None:
        self.starts = 0
        self.cancels = 0
        self.outcome = PhotoOutcome(True, None, JPEG)
        self.hold = False  # True: report the preview only, the photo never comes

    def start(self, on_progress, on_done) -> None:
        self.starts += 1
        on_progress(FaceProgress(b"\0" * 12, 2, 2, "photo.problem.eyes_closed"))
        if not self.hold:
            on_done(self.outcome)

    def cancel(self) -> None:
        self.cancels += 1


def _controller(camera: FakePhotoPort | None):
    controller, card, backend, *_ = make_controller(SERVICE, photo=camera)
    uploads: list[tuple[str, bytes]] = []

    def upload_card_photo(session_id: str, jpeg: bytes) -> dict:
        backend._call("upload_card_photo", session_id, len(jpeg))
        uploads.append((session_id, jpeg))
        return {"photo_id": PHOTO_ID}

    backend.upload_card_photo = upload_card_photo
    controller.card_inserted()
    for digit in "123456":
        controller.pin_digit(digit)
    controller.pin_submit()
    assert controller.state.screen is Screen.MENU
    controller.choose_service("card_replacement")
    controller.intent("tick")
    controller.intent("next")  # 须知 → the resident's data
    controller.intent("next")  # → the reason
    controller.intent("input", "damaged")
    controller.intent("next")  # → the photo
    view = controller.state.wizard
    assert view.step is WizardStep.FIELD and view.question.name == "photo"
    return controller, card, backend, uploads


def test_a_photo_taken_is_uploaded_and_the_review_says_taken() -> None:
    camera = FakePhotoPort()
    controller, _card, backend, uploads = _controller(camera)
    seen = []
    controller.subscribe(lambda state: seen.append(state.wizard.photo if state.wizard else None))
    assert controller.state.wizard.photo.mode == "choose" and controller.state.wizard.photo.camera
    controller.intent("next")
    assert controller.state.wizard.error == "form.error.required"
    controller.intent("photo_camera")
    shown = [p for p in seen if p is not None and p.mode == "camera" and p.preview is not None]
    assert shown and shown[0].problem == "photo.problem.eyes_closed" and shown[0].rule == "eyes"
    photo = controller.state.wizard.photo
    assert photo.mode == "taken" and photo.jpeg == JPEG and photo.preview is None
    controller.intent("photo_retake")
    assert camera.starts == 2
    controller.intent("photo_use")
    assert uploads == [("S1", JPEG)]
    view = controller.state.wizard
    assert controller.state.screen is Screen.WIZARD and view.value == f"photo:{PHOTO_ID}" and view.photo.mode == "done"
    controller.intent("next")  # → delivery
    controller.intent("input", "pickup")
    controller.intent("next")  # → review
    review = controller.state.wizard.review
    assert ("form.card.photo", f"photo:{PHOTO_ID}", "form.photo.done") in review
    controller.intent("submit")
    submitted = [call for call in backend.calls if call[0] == "submit_application"][-1]
    assert submitted[3] == {"reason": "damaged", "photo": f"photo:{PHOTO_ID}", "delivery": "pickup"}


def test_without_a_camera_only_the_receipt_number() -> None:
    controller, *_ = _controller(None)
    assert controller.state.wizard.photo.camera is False
    controller.intent("photo_camera")  # nothing to start
    assert controller.state.wizard.photo.mode == "choose"
    controller.intent("type", "1")  # the pad types only after 输入照片回执号
    assert controller.state.wizard.value == ""
    controller.intent("photo_receipt")
    for digit in "20261201":
        controller.intent("type", digit)
    assert controller.state.wizard.value == "20261201" and controller.state.wizard.photo.mode == "receipt"
    controller.intent("next")
    controller.intent("next")  # pickup, the first option
    review = controller.state.wizard.review
    assert ("form.card.photo", "20261201", None) in review


def test_a_failed_camera_leaves_the_receipt_number() -> None:
    camera = FakePhotoPort()
    camera.outcome = PhotoOutcome(False, "camera.disconnected")
    controller, *_ = _controller(camera)
    controller.intent("photo_camera")
    view = controller.state.wizard
    assert view.photo.mode == "choose" and view.photo.camera is False
    assert view.failure.key == "photo.camera_failed"


def test_a_refused_upload_says_why_and_keeps_the_answers() -> None:
    controller, _card, backend, _uploads = _controller(FakePhotoPort())

    def refused(session_id: str, jpeg: bytes) -> dict:
        raise BackendRejected(422, "photo_face", "照片中须有且只有一张人脸，请重新拍照", "exactly one face")

    backend.upload_card_photo = refused
    controller.intent("photo_camera")
    controller.intent("photo_use")
    view = controller.state.wizard
    assert controller.state.screen is Screen.WIZARD and view.photo.mode == "taken" and view.photo.jpeg == JPEG
    assert "一张人脸" in str(view.failure.params) and view.value == ""
    controller.intent("back")  # to the choice, then to the reason: still answered
    controller.intent("back")
    assert controller.state.wizard.question.name == "reason" and controller.state.wizard.value == "damaged"


def test_a_card_pulled_leaves_nothing_of_the_photo() -> None:
    camera = FakePhotoPort()
    camera.hold = True
    controller, card, *_ = _controller(camera)
    controller.intent("photo_camera")
    assert controller.state.wizard.photo.preview is not None
    step = controller._flow._photo
    step._jpeg = JPEG  # as if a photo had been taken before this run of the camera
    card.read_error = CardError(CardErrorKind.REMOVED, "pulled")
    card.present = False
    controller.card_removed()
    assert camera.cancels >= 1 and step._jpeg is None
    assert controller.state.wizard is None and not controller.state.holds_resident_data()
