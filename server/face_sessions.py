"""``POST /api/v1/sessions/face``: open a resident session by 1:1 face verification.

Contract: the terminal (bearer token as for ``POST /api/v1/sessions``) sends ``multipart/form-data``
with ``ssn``, ``card_number``, ``challenge`` (from ``POST /api/v1/sessions/challenge``),
``cryptogram`` (the card's INTERNAL AUTHENTICATE answer on it with key 01, card presence: the
resident typed no PIN) and 1-3 JPEG ``frames`` (each at most 512 KiB). The card proof is checked
first, as for the PIN session start (server.card_proof: 403 ``card_challenge_invalid`` /
``card_not_verified``, 409 ``card_mismatch`` / ``card_lost``, 429 ``too_many_failed_proofs``);
then the frames are compared with the resident's enrolled photo by
:func:`server.face.router.verify_capture` at ``settings.face_threshold``. A match opens the session
(``auth_method`` "face") and answers 201 with the session JSON plus ``"face": {"score"}``.

Refusals: 409 ``no_enrolled_photo``, 422 ``no_face_in_capture`` / ``inconsistent_capture`` /
``invalid_frames``, 403 ``face_mismatch``, 413 ``frame_too_large``, 429 ``face_locked`` after
``MAX_FAILURES_PER_DAY`` failed verifications of that resident in one (China) day. Mismatches and
inconsistent captures count as failures; unusable captures do not (nobody's face was rejected).
The attempt is reserved in the database before verifying and given back unless it counts
(:func:`server.face.attempts.reserve_attempt`), so the limit holds for simultaneous requests and
across worker processes; while the last allowed attempt is in flight, another one gets 429.

The endpoint is a plain ``def``: FastAPI runs it on the thread pool, where the ~100 ms per frame
of dlib work does not block the event loop.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from common.card_auth import KEY_CARD_PRESENCE
from common.ssn import InvalidSSN, mask_ssn, validate_ssn
from server.api import open_resident_session, person_out
from server.card_photos import PHOTO_BODY_LIMIT, PHOTO_PATH
from server.card_proof import check_card_proof
from server.context import GatewayContext, get_ctx, get_db, get_terminal
from server.errors import TERMINAL_ERROR_RESPONSES, ApiError, ErrorBody
from server.face.attempts import MAX_FAILURES_PER_DAY, Reservation, release_attempt, reserve_attempt
from server.face.router import MAX_FRAMES, VerifyResult, verify_capture
from server.middleware import ASGIApp, FaultState, GatewayMiddleware, Receive, Scope, Send
from server.models import Person, Terminal
from server.schemas import HEX32_PATTERN, PersonOut

logger = logging.getLogger(__name__)

FACE_PATH = "/api/v1/sessions/face"
# The face check of an open session (server.face_checks) takes the same frames.
FACE_CHECK_PATH = re.compile(r"^/api/v1/sessions/[0-9a-f]{32}/face-checks$")
MAX_FRAME_BYTES = 512 * 1024
# Whole multipart body: the frames plus form fields and part headers.
FACE_BODY_LIMIT = MAX_FRAMES * MAX_FRAME_BYTES + 16 * 1024
CARD_NUMBER_RE = r"^[0-9A-Z]{9}$"

router = APIRouter(prefix="/api/v1", responses=TERMINAL_ERROR_RESPONSES)


class FaceScore(BaseModel):
    score: float


class FaceSessionResponse(BaseModel):
    session_id: str
    person: PersonOut
    face: FaceScore


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


FACE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: _doc("face_mismatch: the capture is not the card holder; card_challenge_invalid / card_not_verified"),
    409: _doc("card_mismatch / card_lost / no_enrolled_photo"),
    413: _doc("frame_too_large (a frame over 512 KiB) or body_too_large"),
    422: _doc("no_face_in_capture / inconsistent_capture / invalid_frames / invalid_request"),
    429: _doc("face_locked: too many failed face verifications today; too_many_failed_proofs at this terminal"),
}

_FAILURES = {
    "no_face_in_capture": (
        422,
        "未检测到清晰的人脸，请正对摄像头重新采集",
        "No usable face in the captured frames",
    ),
    "inconsistent_capture": (
        422,
        "采集过程中人脸发生变化，请本人正对摄像头重新采集",
        "The captured frames do not show the same person",
    ),
    "below_threshold": (403, "人脸比对不一致", "The face does not match the enrolled photo"),
    # The enrolled photo itself has no detectable face: staff must re-take it.
    "no_face_in_photo": (
        409,
        "档案照片无法用于人脸比对，请使用密码或到窗口办理",
        "The enrolled photo cannot be used for face verification",
    ),
}
_CODES = {
    "below_threshold": "face_mismatch",
    "no_face_in_photo": "no_enrolled_photo",
}
# Outcomes that are a rejected identity claim and count towards the daily lock.
_COUNTED = {"below_threshold", "inconsistent_capture"}
LOCKED_MESSAGE = (
    "今日人脸验证失败次数过多，请明天再试或使用密码",
    "Too many failed face verifications today; use the PIN or try tomorrow",
)


def enrolled_photo(ctx: GatewayContext, db: Session, ssn: str) -> bytes | None:
    """The resident's enrolled photo: from the data source when it offers ``enrolled_photo(ssn)``
    (a core-system adapter), else from the gateway's reference table."""
    getter = getattr(ctx.source, "enrolled_photo", None)
    if callable(getter):
        photo = getter(ssn)
        return bytes(photo) if photo else None
    photo = db.scalar(select(Person.photo).where(Person.ssn == ssn))
    db.commit()  # end the read transaction before the long CPU-bound part
    return bytes(photo) if photo else None


def read_frames(frames: list[UploadFile]) -> list[bytes]:
    """The uploaded JPEG frames: 422 ``invalid_frames`` unless 1-``MAX_FRAMES``, 413 ``frame_too_large``
    for one over ``MAX_FRAME_BYTES``."""
    if not 1 <= len(frames) <= MAX_FRAMES:
        raise ApiError(
            422,
            "invalid_frames",
            f"请上传 1 至 {MAX_FRAMES} 张人脸照片",
            f"Send 1 to {MAX_FRAMES} frames",
        )
    out = []
    for frame in frames:
        data = frame.file.read(MAX_FRAME_BYTES + 1)
        if len(data) > MAX_FRAME_BYTES:
            raise ApiError(413, "frame_too_large", "照片过大", f"A frame is larger than {MAX_FRAME_BYTES} bytes")
        out.append(data)
    return out


def _verify(ctx: GatewayContext, db: Session, terminal_id: str, ssn: str, captured: list[bytes]) -> VerifyResult:
    """The enrolled photo against the capture; 409 ``no_enrolled_photo`` when there is none."""
    masked = mask_ssn(ssn)
    photo = enrolled_photo(ctx, db, ssn)
    if photo is None:
        logger.info("face verification without enrolled photo", extra={"terminal_id": terminal_id, "ssn": masked})
        raise ApiError(
            409,
            "no_enrolled_photo",
            "您尚未采集档案照片，请使用密码或到窗口办理",
            "No enrolled photo for this person",
        )
    result = verify_capture(photo, captured, ctx.settings.face_threshold)
    logger.info(
        "face verification",
        extra={
            "terminal_id": terminal_id,
            "ssn": masked,
            "match": result.match,
            "score": round(result.score, 4),
            "frames_used": result.frames_used,
            "reason": result.reason,
        },
    )
    return result


def _log_failure(reservation: Reservation) -> None:
    logger.info(
        "face verification failed",
        extra={"ssn": mask_ssn(reservation.ssn), "failures_today": reservation.failures},
    )


def verify_resident(
    ctx: GatewayContext,
    db: Session,
    terminal_id: str,
    ssn: str,
    captured: list[bytes],
    locked: tuple[str, str] = LOCKED_MESSAGE,
) -> VerifyResult:
    """1:1 verification of ``captured`` against ``ssn``'s enrolled photo under the daily failure
    lock (shared by every face endpoint): the matching result, or the refusal as an ApiError
    (``locked`` is the (zh, en) words of the 429, which say what to do instead)."""
    # The attempt is taken from the day's allowance before the slow verification, so simultaneous
    # requests cannot all pass a check made before any of them counted (server.face.attempts).
    reservation = reserve_attempt(db, ssn, MAX_FAILURES_PER_DAY)
    if reservation is None:
        logger.info("face verification locked", extra={"terminal_id": terminal_id, "ssn": mask_ssn(ssn)})
        raise ApiError(429, "face_locked", *locked)
    counted = False
    try:
        result = _verify(ctx, db, terminal_id, ssn, captured)
        reason = None if result.match else (result.reason or "below_threshold")
        counted = reason in _COUNTED
    finally:
        if not counted:
            release_attempt(db, reservation)
    if reason is not None:
        if counted:
            _log_failure(reservation)
        status, zh, en = _FAILURES.get(reason, _FAILURES["below_threshold"])
        raise ApiError(status, _CODES.get(reason, reason), zh, en)
    return result


@router.post(
    "/sessions/face",
    response_model=FaceSessionResponse,
    status_code=201,
    tags=["sessions"],
    responses=FACE_RESPONSES,
)
def start_face_session(
    ssn: Annotated[str, Form(min_length=18, max_length=18, description="社会保障号码 read from the card")],
    card_number: Annotated[str, Form(pattern=CARD_NUMBER_RE, description="社保卡卡号 read from the card")],
    challenge: Annotated[str, Form(pattern=HEX32_PATTERN, description="from POST /api/v1/sessions/challenge")],
    cryptogram: Annotated[
        str, Form(pattern=HEX32_PATTERN, description="the card's INTERNAL AUTHENTICATE answer, key 01")
    ],
    frames: Annotated[list[UploadFile], File(description=f"1-{MAX_FRAMES} JPEG frames, each ≤ 512 KiB")],
    terminal: Terminal = Depends(get_terminal),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> FaceSessionResponse:
    """Open a resident session with the card's key-01 proof and a 1:1 face verification against the
    enrolled photo."""
    try:
        ssn = validate_ssn(ssn)
    except InvalidSSN as exc:
        raise ApiError(422, "invalid_request", "ssn：社会保障号码格式不正确", f"ssn: invalid ({exc})") from exc
    captured = read_frames(frames)
    person = check_card_proof(
        ctx,
        db,
        terminal,
        ssn=ssn,
        card_number=card_number,
        challenge_hex=challenge,
        cryptogram_hex=cryptogram,
        key_id=KEY_CARD_PRESENCE,
    )
    result = verify_resident(ctx, db, terminal.id, ssn, captured)
    session_id = open_resident_session(db, terminal, person, "face")
    return FaceSessionResponse(
        session_id=session_id, person=person_out(person), face=FaceScore(score=round(result.score, 4))
    )


class FaceUploadMiddleware(GatewayMiddleware):
    """:class:`GatewayMiddleware` whose body limit is ``FACE_BODY_LIMIT`` on the face endpoint and
    ``PHOTO_BODY_LIMIT`` on the card-photo upload (server.card_photos).

    Every other path keeps the gateway's small limit; JPEG frames cannot fit in 64 KiB.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, faults: FaultState) -> None:
        super().__init__(app, max_body_bytes, faults)
        self._face = GatewayMiddleware(app, max(max_body_bytes, FACE_BODY_LIMIT), faults)
        self._photo = GatewayMiddleware(app, max(max_body_bytes, PHOTO_BODY_LIMIT), faults)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == FACE_PATH or FACE_CHECK_PATH.match(path)):
            await self._face(scope, receive, send)
            return
        if scope["type"] == "http" and PHOTO_PATH.match(scope.get("path", "")):
            await self._photo(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
