"""``POST /api/v1/sessions/{session_id}/card-photos``: the terminal uploads a 社保卡 photo it took.

Contract: the terminal (bearer token) sends ``multipart/form-data`` with one JPEG ``photo`` of the
card's portrait proportions (``PHOTO_WIDTH`` × ``PHOTO_HEIGHT``, 358 × 441 px, 32 × 26 mm) of at
most ``MAX_PHOTO_BYTES``, in the resident's open session. The gateway checks again what it can: a
decodable JPEG, its size and dimensions, exactly one face (dlib's frontal detector, as the face
sign-in's verifier uses); it stores the photo (``card_photos``) and answers 201
``{"photo_id": ...}``. A card form (社保卡申领, 补卡/换卡) then names it as ``photo:<photo_id>``
(server.applications.rules_card): only this person, in this session, and only once.

Refusals: 413 ``photo_too_large``; 422 ``invalid_photo`` (not a JPEG, not one photo, wrong
dimensions) and ``photo_face`` (no face, or more than one); 404 ``session_not_found`` as every
session call. The endpoint is a plain ``def``: the detection runs on the thread pool.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel
from sqlalchemy.orm import Session

from common.ssn import mask_ssn
from server.api import SessionId, open_session
from server.auth import utcnow
from server.context import GatewayContext, get_ctx, get_db, get_token_hash
from server.errors import TERMINAL_ERROR_RESPONSES, ApiError, ErrorBody
from server.models import CardPhoto

logger = logging.getLogger(__name__)

PHOTO_WIDTH, PHOTO_HEIGHT = 358, 441
MAX_PHOTO_BYTES = 200 * 1024
# The whole multipart body: the photo plus its part headers.
PHOTO_BODY_LIMIT = MAX_PHOTO_BYTES + 8 * 1024
PHOTO_PATH = re.compile(r"^/api/v1/sessions/[0-9a-f]{32}/card-photos$")
PHOTO_PREFIX = "photo:"

router = APIRouter(prefix="/api/v1", responses=TERMINAL_ERROR_RESPONSES, tags=["applications"])
_local = threading.local()


class CardPhotoOut(BaseModel):
    photo_id: str


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


def _invalid(en: str) -> ApiError:
    return ApiError(422, "invalid_photo", "照片无法使用，请重新拍照", en)


def _faces(gray: np.ndarray) -> int:
    """Faces dlib's frontal detector finds (one detector per thread: it keeps scratch state)."""
    import dlib

    detector = getattr(_local, "detector", None)
    if detector is None:
        detector = _local.detector = dlib.get_frontal_face_detector()
    return len(detector(gray, 0) or detector(gray, 1))


def check_photo(data: bytes) -> None:
    """Raise the ApiError of what is wrong with ``data`` as a card photo; nothing when it is good."""
    import cv2

    if len(data) > MAX_PHOTO_BYTES:
        raise ApiError(413, "photo_too_large", "照片过大", f"The photo is larger than {MAX_PHOTO_BYTES} bytes")
    if not data.startswith(b"\xff\xd8"):
        raise _invalid("The photo is not a JPEG")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise _invalid("The photo cannot be decoded")
    height, width = image.shape[:2]
    if (width, height) != (PHOTO_WIDTH, PHOTO_HEIGHT):
        raise _invalid(f"The photo must be {PHOTO_WIDTH}x{PHOTO_HEIGHT} px, not {width}x{height}")
    if _faces(image) != 1:
        raise ApiError(
            422, "photo_face", "照片中须有且只有一张人脸，请重新拍照", "The photo must show exactly one face"
        )


@router.post(
    "/sessions/{session_id}/card-photos",
    response_model=CardPhotoOut,
    status_code=201,
    responses={
        413: _doc("photo_too_large (over 200 KiB) or body_too_large"),
        422: _doc("invalid_photo (not one 358x441 JPEG) / photo_face (not exactly one face)"),
    },
)
def upload_card_photo(
    photo: Annotated[list[UploadFile], File(description=f"one JPEG, {PHOTO_WIDTH}x{PHOTO_HEIGHT}, ≤ 200 KiB")],
    session_id: str = SessionId,
    token_hash: str = Depends(get_token_hash),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> CardPhotoOut:
    """Keep a 社保卡 photo the terminal took of its resident, for a card application of this session."""
    session = open_session(ctx, token_hash, session_id)
    if len(photo) != 1:
        raise _invalid("Send exactly one photo")
    data = photo[0].file.read(MAX_PHOTO_BYTES + 1)
    check_photo(data)
    row = CardPhoto(
        id=secrets.token_hex(16),
        person_id=session.person_id,
        session_id=session_id,
        terminal_id=session.terminal_id,
        jpeg=data,
        width=PHOTO_WIDTH,
        height=PHOTO_HEIGHT,
        created_at=utcnow(),
    )
    db.add(row)
    db.commit()
    logger.info(
        "card photo stored",
        extra={"terminal_id": session.terminal_id, "ssn": mask_ssn(session.ssn), "bytes": len(data)},
    )
    return CardPhotoOut(photo_id=row.id)
