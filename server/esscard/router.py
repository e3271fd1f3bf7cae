"""``POST /api/v1/sessions/esscard``: open a resident session with a 电子社保卡 code.

Contract: the terminal (bearer token as for ``POST /api/v1/sessions``) sends
``{"code": "<the QR code's payload>"}``; a code the gateway issued, unused and at most 60 s old,
opens a session for its person (``auth_method`` "esscard", the terminal's previous session ended)
and answers 201 ``{session_id, person}`` like the other session starts.

Refusals: 404 ``esscard_code_unknown``, 409 ``esscard_code_used``, 410 ``esscard_code_expired``
(see :mod:`server.esscard.codes`); 422 ``invalid_request`` for a body that is not one printable
ASCII ``code`` of at most 128 characters; 429 ``too_many_session_starts`` /
``too_many_failed_proofs`` (server.terminal_limits: every sign-in counts as a session start, and
an unknown code, a guess, as a failed proof). The answer never depends on which person a code names
nor on whether a person exists: a code whose person is no longer on record is refused exactly as
an unknown code, and the code itself carries no personal data.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import Field
from sqlalchemy.orm import Session

from common.esscard import CODE_UNKNOWN, MAX_PAYLOAD_CHARS
from common.ssn import mask_ssn
from server.api import open_resident_session, person_out
from server.context import GatewayContext, get_ctx, get_db, get_terminal
from server.errors import TERMINAL_ERROR_RESPONSES, ApiError, ErrorBody
from server.esscard.codes import spend_code, unknown_code
from server.models import Terminal
from server.schemas import SessionResponse, StrictModel
from server.terminal_limits import admit_start, record_failure

logger = logging.getLogger(__name__)

AUTH_METHOD = "esscard"
# Printable ASCII without the space: what a 电子社保卡 code, or any QR payload worth looking up, is made of.
PAYLOAD_PATTERN = r"^[!-~]+$"

router = APIRouter(prefix="/api/v1", responses=TERMINAL_ERROR_RESPONSES)


class EsscardSessionRequest(StrictModel):
    code: str = Field(
        min_length=1,
        max_length=MAX_PAYLOAD_CHARS,
        pattern=PAYLOAD_PATTERN,
        description="The payload of the 电子社保卡 QR code shown on the resident's phone",
    )


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ESSCARD_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: _doc("esscard_code_unknown: no such code was issued"),
    409: _doc("esscard_code_used: the code was already used to sign in"),
    410: _doc("esscard_code_expired: the code is older than 60 s"),
    422: _doc("invalid_request: the body is not one printable ASCII code of at most 128 characters"),
    429: _doc("too_many_session_starts / too_many_failed_proofs: the terminal ran into its limits"),
}


@router.post(
    "/sessions/esscard",
    response_model=SessionResponse,
    status_code=201,
    tags=["sessions"],
    responses=ESSCARD_RESPONSES,
)
def start_esscard_session(
    body: EsscardSessionRequest,
    terminal: Terminal = Depends(get_terminal),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> SessionResponse:
    """Open a resident session with a single-use 电子社保卡 code; ends the terminal's previous session."""
    limits = ctx.settings.terminal_limits
    admit_start(db, terminal.id, limits)
    try:
        ssn = spend_code(db, body.code, terminal.id)
    except ApiError as exc:
        if exc.code == CODE_UNKNOWN:
            record_failure(db, terminal.id, "unknown 电子社保卡 code", limits)
        raise
    person = ctx.source.find_person(ssn)
    if person is None:
        # Only possible when a person left the records after the code was issued; told apart from
        # an unknown code, the answer would confirm the person's absence to whoever held the code.
        logger.warning("esscard code of a person no longer on record", extra={"ssn": mask_ssn(ssn)})
        raise unknown_code()
    session_id = open_resident_session(db, terminal, person, AUTH_METHOD)
    return SessionResponse(session_id=session_id, person=person_out(person))
