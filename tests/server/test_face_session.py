"""POST /api/v1/sessions/face on SQLite and PostgreSQL: real dlib verification of frames rendered
from the demo resident's portrait (match) and from an LFW face (another person)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import cv2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from common.card_auth import KEY_CARD_PRESENCE
from common.ssn import make_ssn
from drivers.camera.synth import FaceSynth, Pose, astronaut_bgr, lfw_face_bgr
from server.app import create_app
from server.auth import create_terminal, enroll
from server.face.attempts import FaceAttempt, failures_today
from server.face_sessions import FACE_BODY_LIMIT, MAX_FRAME_BYTES
from tests.card_holder import card_proof, challenge
from tests.server.conftest import Gateway

URL = "/api/v1/sessions/face"


def _render(image: Any) -> list[bytes]:
    synth = FaceSynth(image)
    out = []
    for pose in (Pose(), Pose(yaw_deg=4.0), Pose(yaw_deg=-4.0, light=0.9)):
        ok, buf = cv2.imencode(".jpg", synth.render(pose), [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:
            pytest.fail("JPEG encoding failed")
        out.append(buf.tobytes())
    return out


@pytest.fixture(scope="module")
def matching_frames() -> list[bytes]:
    return _render(astronaut_bgr())


@pytest.fixture(scope="module")
def other_frames() -> list[bytes]:
    return _render(lfw_face_bgr())


@pytest.fixture
def face_token(gateway: Gateway) -> str:
    """A terminal of its own, so opening sessions here never ends another test's session."""
    with gateway.ctx.sessions.begin() as db:
        return enroll(db, "T-FACE", create_terminal(db, "T-FACE", "320583"))


def _face_person(gateway: Gateway) -> dict[str, Any]:
    """The demo resident with an enrolled photo, with today's failure counter cleared."""
    person = gateway.people[0]
    if not person["has_photo"]:
        pytest.fail("the seed must give a photo to the first person")
    if person["card_status"] != "normal":
        pytest.fail("the first seeded person's card is not usable")
    with gateway.ctx.sessions.begin() as db:
        db.execute(delete(FaceAttempt).where(FaceAttempt.ssn == person["ssn"]))
    return person


def _post(
    client: TestClient, token: str, person: dict[str, Any], frames: list[bytes], key_id: int = KEY_CARD_PRESENCE
) -> Any:
    """The face session start as the kiosk sends it: a fresh challenge answered by the person's card
    (key 01 unless told), and the frames."""
    headers = {"Authorization": f"Bearer {token}"}
    fresh = challenge(client.post, headers) if token != "not-a-token" else "00" * 16
    answer = card_proof(person, bytes.fromhex(fresh), key_id)
    return client.post(
        URL,
        data={
            "ssn": person["ssn"],
            "card_number": person["card_number"],
            "challenge": fresh,
            "cryptogram": answer.hex(),
        },
        files=[("frames", (f"f{i}.jpg", f, "image/jpeg")) for i, f in enumerate(frames)],
        headers={"Authorization": f"Bearer {token}"},
    )


def _code(response: Any) -> str:
    return response.json()["error"]["code"]


def test_matching_capture_opens_a_face_session(gateway: Gateway, face_token: str, matching_frames: list[bytes]) -> None:
    person = _face_person(gateway)
    r = _post(gateway.client, face_token, person, matching_frames)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["face"]["score"] >= gateway.ctx.settings.face_threshold
    assert body["person"]["name"] == person["name"]
    headers = {"Authorization": f"Bearer {face_token}"}
    cards = gateway.client.get(f"/api/v1/sessions/{body['session_id']}/cards", headers=headers)
    assert cards.status_code == 200
    with gateway.ctx.sessions() as db:
        assert failures_today(db, person["ssn"]) == 0  # the reserved attempt was given back


def test_other_face_is_a_mismatch(gateway: Gateway, face_token: str, other_frames: list[bytes]) -> None:
    person = _face_person(gateway)
    r = _post(gateway.client, face_token, person, other_frames)
    assert r.status_code == 403 and _code(r) == "face_mismatch"
    assert r.json()["error"]["message_zh"] == "人脸比对不一致"
    with gateway.ctx.sessions() as db:
        assert failures_today(db, person["ssn"]) == 1


def test_frames_of_two_people_are_inconsistent(
    gateway: Gateway, face_token: str, matching_frames: list[bytes], other_frames: list[bytes]
) -> None:
    person = _face_person(gateway)
    r = _post(gateway.client, face_token, person, [matching_frames[0], other_frames[0]])
    assert r.status_code == 422 and _code(r) == "inconsistent_capture"


def test_five_failures_lock_face_verification_even_across_a_restart(
    gateway: Gateway, face_token: str, matching_frames: list[bytes], other_frames: list[bytes]
) -> None:
    person = _face_person(gateway)
    for _ in range(5):
        r = _post(gateway.client, face_token, person, other_frames[:1])
        assert r.status_code == 403 and _code(r) == "face_mismatch"
    locked = _post(gateway.client, face_token, person, matching_frames)
    assert locked.status_code == 429 and _code(locked) == "face_locked"
    assert "明天" in locked.json()["error"]["message_zh"]
    # A new app on the same database is a restart: the counter is in the database, not in memory.
    app = create_app(gateway.ctx.settings)
    try:
        with TestClient(app) as client:
            again = _post(client, face_token, person, matching_frames)
            assert again.status_code == 429 and _code(again) == "face_locked"
    finally:
        app.state.ctx.engine.dispose()
    # The PIN session is not affected by the face lock.
    assert gateway.start(person, token=face_token)


def test_person_without_photo_is_refused(gateway: Gateway, face_token: str, matching_frames: list[bytes]) -> None:
    person = next(p for p in gateway.people if not p["has_photo"] and p["card_status"] == "normal")
    r = _post(gateway.client, face_token, person, matching_frames)
    assert r.status_code == 409 and _code(r) == "no_enrolled_photo"
    assert r.json()["error"]["message_zh"] == "您尚未采集档案照片，请使用密码或到窗口办理"
    with gateway.ctx.sessions() as db:
        assert failures_today(db, person["ssn"]) == 0


def test_garbage_and_faceless_frames_are_unusable(gateway: Gateway, face_token: str) -> None:
    person = _face_person(gateway)
    r = _post(gateway.client, face_token, person, [b"\xff\xd8 not really a jpeg", b"garbage"])
    assert r.status_code == 422 and _code(r) == "no_face_in_capture"
    ok, blank = cv2.imencode(".jpg", (astronaut_bgr() * 0).astype("uint8"))
    r = _post(gateway.client, face_token, person, [blank.tobytes()])
    assert r.status_code == 422 and _code(r) == "no_face_in_capture"
    with gateway.ctx.sessions() as db:
        assert failures_today(db, person["ssn"]) == 0  # nobody's face was rejected


def test_oversized_and_wrong_frame_counts(gateway: Gateway, face_token: str, matching_frames: list[bytes]) -> None:
    person = _face_person(gateway)
    r = _post(gateway.client, face_token, person, [b"\xff" * (MAX_FRAME_BYTES + 1)])
    assert r.status_code == 413 and _code(r) == "frame_too_large"
    r = _post(gateway.client, face_token, person, [b"\xff" * (FACE_BODY_LIMIT // 2)] * 3)
    assert r.status_code == 413 and _code(r) == "body_too_large"
    r = _post(gateway.client, face_token, person, matching_frames + matching_frames[:1])
    assert r.status_code == 422 and _code(r) == "invalid_frames"


def test_card_checks_and_credentials(gateway: Gateway, face_token: str, matching_frames: list[bytes]) -> None:
    person = _face_person(gateway)
    r = _post(gateway.client, "not-a-token", person, matching_frames)
    assert r.status_code == 401
    # Not the card on record, nobody on record: one answer, given before any face is looked at.
    wrong_card = {**person, "card_number": "ZZ0000000"}
    r = _post(gateway.client, face_token, wrong_card, matching_frames)
    assert r.status_code == 403 and _code(r) == "card_not_verified"
    unknown = make_ssn("110101", dt.date(1960, 1, 1), 999)
    r2 = _post(gateway.client, face_token, {**person, "ssn": unknown}, matching_frames)
    assert r2.status_code == 403 and r2.json() == r.json()
    with gateway.ctx.sessions() as db:
        assert failures_today(db, person["ssn"]) == 0
    bad_digit = person["ssn"][:-1] + ("0" if person["ssn"][-1] != "0" else "1")
    # (a card holding such a number does not even read: the body is sent as a forger would)
    r = gateway.client.post(
        URL,
        data={"ssn": bad_digit, "card_number": person["card_number"], "challenge": "ab" * 16, "cryptogram": "cd" * 16},
        files=[("frames", ("f.jpg", matching_frames[0], "image/jpeg"))],
        headers={"Authorization": f"Bearer {face_token}"},
    )
    assert r.status_code == 422 and _code(r) == "invalid_request"
    r = gateway.client.post(URL, data={"ssn": person["ssn"]}, headers={"Authorization": f"Bearer {face_token}"})
    assert r.status_code == 422


def test_endpoint_is_documented(gateway: Gateway) -> None:
    op = gateway.client.get("/openapi.json").json()["paths"][URL]["post"]
    assert {"201", "401", "403", "409", "413", "422", "429"} <= set(op["responses"])
    assert "multipart/form-data" in op["requestBody"]["content"]
