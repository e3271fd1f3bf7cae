"""POST /api/v1/sessions/{id}/face-checks and 养老待遇资格认证 by a face check, on SQLite and
PostgreSQL: real dlib verification of frames rendered from the demo portrait (match) and from an
LFW face (another person), and the daily lock shared with face sign-in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import cv2
import pytest
from sqlalchemy import delete, select, update

from drivers.camera.synth import FaceSynth, Pose, astronaut_bgr, lfw_face_bgr
from server.face.attempts import MAX_FAILURES_PER_DAY, FaceAttempt, china_today, failures_today
from server.face.checks import FaceCheck
from server.face.demo import demo_photo_jpeg
from server.face_sessions import MAX_FRAME_BYTES
from server.models import Person
from tests.card_holder import card_proof, challenge
from tests.server.conftest import Gateway


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
def pensioner(gateway: Gateway) -> dict[str, Any]:
    """A pensioner with a usable card and the demo portrait enrolled, not certified this year and
    with today's face failures cleared."""
    person = gateway.person(employment="retired")
    with gateway.ctx.sessions.begin() as db:
        db.execute(update(Person).where(Person.ssn == person["ssn"]).values(photo=demo_photo_jpeg("astronaut")))
        db.execute(delete(FaceAttempt).where(FaceAttempt.ssn == person["ssn"]))
    return person


def _check(gw: Gateway, sid: str, frames: list[bytes]) -> Any:
    files = [("frames", (f"f{i}.jpg", f, "image/jpeg")) for i, f in enumerate(frames)]
    return gw.client.post(f"/api/v1/sessions/{sid}/face-checks", files=files, headers=gw.headers())


def _certify(gw: Gateway, sid: str, key: str, check_id: str | None = None, token: str | None = None) -> Any:
    form = {"face_check": check_id} if check_id else {}
    body = {"kind": "pension_certification", "form": form, "idempotency_key": f"{key}-{gw.kind}"}
    return gw.client.post(f"/api/v1/sessions/{sid}/applications", json=body, headers=gw.headers(token))


def _code(response: Any) -> str:
    return response.json()["error"]["code"]


def test_a_face_check_certifies_a_card_and_pin_session_once(
    gateway: Gateway, pensioner: dict[str, Any], matching_frames: list[bytes], other_frames: list[bytes]
) -> None:
    sid = gateway.start(pensioner)
    refused = _certify(gateway, sid, "cert-none")
    assert refused.status_code == 409 and _code(refused) == "face_required"
    assert "人脸核验" in refused.json()["error"]["message_zh"] and refused.json()["error"]["message_en"]
    mismatch = _check(gateway, sid, other_frames)
    assert mismatch.status_code == 403 and _code(mismatch) == "face_mismatch"
    with gateway.ctx.sessions() as db:
        assert failures_today(db, pensioner["ssn"]) == 1  # face sign-in's counter
    made = _check(gateway, sid, matching_frames)
    assert made.status_code == 201, made.text
    check_id = made.json()["face_check_id"]
    assert made.json()["score"] >= gateway.ctx.settings.face_threshold
    # Another session (of another resident, at another terminal) cannot use it.
    other = gateway.start(gateway.person(employment="retired", skip=1), token=gateway.other_token)
    wrong = _certify(gateway, other, "cert-other", check_id, token=gateway.other_token)
    assert wrong.status_code == 409 and _code(wrong) == "face_check_invalid"
    # Ten minutes later it is too old.
    with gateway.ctx.sessions.begin() as db:
        db.get(FaceCheck, check_id).created_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)
    old = _certify(gateway, sid, "cert-old", check_id)
    assert old.status_code == 409 and _code(old) == "face_check_expired"
    with gateway.ctx.sessions.begin() as db:
        db.get(FaceCheck, check_id).created_at = dt.datetime.now(dt.UTC)
    ok = _certify(gateway, sid, "cert-ok", check_id)
    assert ok.status_code == 201 and ok.json()["status"] == "completed", ok.text
    assert dict(map(tuple, ok.json()["fields"]))["认证方式"] == "人脸识别"
    again = _certify(gateway, sid, "cert-again", check_id)
    assert again.status_code == 409 and _code(again) == "face_check_used"
    with gateway.ctx.sessions() as db:
        assert db.scalar(select(FaceCheck.used_at).where(FaceCheck.id == check_id)) is not None


def test_the_daily_lock_is_shared_with_face_sign_in(
    gateway: Gateway, pensioner: dict[str, Any], matching_frames: list[bytes]
) -> None:
    sid = gateway.start(pensioner)
    with gateway.ctx.sessions.begin() as db:
        db.add(
            FaceAttempt(
                ssn=pensioner["ssn"],
                day=china_today(),
                failures=MAX_FAILURES_PER_DAY,
                updated_at=dt.datetime.now(dt.UTC),
            )
        )
    locked = _check(gateway, sid, matching_frames)
    assert locked.status_code == 429 and _code(locked) == "face_locked"
    assert "窗口" in locked.json()["error"]["message_zh"]  # the PIN cannot stand in: go to the counter
    # Face sign-in of the same resident is locked too.
    headers = gateway.headers()
    fresh = challenge(gateway.client.post, headers)
    signed = gateway.client.post(
        "/api/v1/sessions/face",
        data={
            "ssn": pensioner["ssn"],
            "card_number": pensioner["card_number"],
            "challenge": fresh,
            "cryptogram": card_proof(pensioner, bytes.fromhex(fresh), 1).hex(),
        },
        files=[("frames", ("f.jpg", matching_frames[0], "image/jpeg"))],
        headers=headers,
    )
    assert signed.status_code == 429 and _code(signed) == "face_locked"
    with gateway.ctx.sessions.begin() as db:
        db.execute(delete(FaceAttempt).where(FaceAttempt.ssn == pensioner["ssn"]))


def test_frames_and_sessions_are_checked(gateway: Gateway, pensioner: dict[str, Any]) -> None:
    sid = gateway.start(pensioner)
    big = _check(gateway, sid, [b"\xff" * (MAX_FRAME_BYTES + 1)])  # past the small body limit, refused by size
    assert big.status_code == 413 and _code(big) == "frame_too_large"
    unusable = _check(gateway, sid, [b"\xff\xd8 not a jpeg"])
    assert unusable.status_code == 422 and _code(unusable) == "no_face_in_capture"
    assert _check(gateway, "0" * 32, [b"x"]).status_code == 404
    gateway.client.delete(f"/api/v1/sessions/{sid}", headers=gateway.headers())
    assert _check(gateway, sid, [b"x"]).status_code == 404
    with gateway.ctx.sessions() as db:
        assert failures_today(db, pensioner["ssn"]) == 0
