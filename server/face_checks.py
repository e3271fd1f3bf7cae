"""``POST /api/v1/sessions/{session_id}/face-checks``: a 1:1 face check inside an open session.

Contract: the terminal holding the session sends ``multipart/form-data`` with 1-3 JPEG ``frames``
(each at most 512 KiB) of a capture that passed its liveness challenges. The card is not asked
again: the session is already open. The frames are compared with the session's resident's enrolled
photo exactly as for face sign-in (:func:`server.face_sessions.verify_resident`: the same
verification, threshold and daily failure lock, shared with face sign-in). A match is recorded
(server.face.checks) and answers 201 ``{"face_check_id", "score"}``; an application that needs the
resident's face (养老待遇资格认证) names that id in its form within ten minutes.

Refusals: 404 for a session that is not open at this terminal, 409 ``no_enrolled_photo``, 422
``no_face_in_capture`` / ``inconsistent_capture`` / ``invalid_frames``, 403 ``face_mismatch``, 413
``frame_too_large``, 429 ``face_locked`` (its words send the resident to the counter: the PIN
cannot stand in for the face here).

A plain ``def``, like face sign-in: the dlib work runs on the thread pool.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel
from sqlalchemy.orm import Session

from common.ssn import mask_ssn
from server.api import SessionId, open_session
from server.auth import utcnow
from server.context import GatewayContext, get_ctx, get_db, get_token_hash
from server.errors import TERMINAL_ERROR_RESPONSES
from server.face.checks import record_check
from server.face.router import MAX_FRAMES
from server.face_sessions import FACE_RESPONSES, read_frames, verify_resident

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", responses=TERMINAL_ERROR_RESPONSES)

LOCKED_AT_COUNTER = (
    "今日人脸验证失败次数过多，请带上社保卡和身份证到服务窗口办理",
    "Too many failed face checks today; please go to the service counter with your card and ID",
)


class FaceCheckResponse(BaseModel):
    face_check_id: str
    score: float


@router.post(
    "/sessions/{session_id}/face-checks",
    response_model=FaceCheckResponse,
    status_code=201,
    tags=["sessions"],
    responses=FACE_RESPONSES,
)
def create_face_check(
    frames: Annotated[list[UploadFile], File(description=f"1-{MAX_FRAMES} JPEG frames, each ≤ 512 KiB")],
    session_id: str = SessionId,
    token_hash: str = Depends(get_token_hash),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> FaceCheckResponse:
    """Check the live capture against the session resident's enrolled photo; a match is recorded
    for an application of this session to name."""
    session = open_session(ctx, token_hash, session_id)
    captured = read_frames(frames)
    result = verify_resident(ctx, db, session.terminal_id, session.ssn, captured, LOCKED_AT_COUNTER)
    score = round(result.score, 4)
    check_id = record_check(db, session_id, session.person_id, session.terminal_id, score, utcnow())
    logger.info(
        "face check recorded",
        extra={"terminal_id": session.terminal_id, "ssn": mask_ssn(session.ssn), "score": score},
    )
    return FaceCheckResponse(face_check_id=check_id, score=score)
