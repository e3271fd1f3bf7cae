"""``POST /api/v1/sessions/challenge`` and ``POST /api/v1/sessions``: a session opened by the card.

Contract: the terminal (bearer token) first asks for a challenge, ``201 {"challenge": 32 hex,
"expires_in": 60}`` (single use, this terminal's only; counts as a session start towards the
terminal's limit, server.terminal_limits). After the resident's PIN was verified *on the card*, the
card answers INTERNAL AUTHENTICATE with key 02 on that challenge and the terminal sends
``{ssn, card_number, challenge, cryptogram}``; a good key-02 proof opens a ``card_pin`` session
(the terminal's previous one ended) and answers ``201 {session_id, person}``.

The terminal no longer names the way the resident was identified: this endpoint only ever opens
``card_pin`` sessions, ``/sessions/face`` face sessions (key 01 and the face match) and
``/sessions/esscard`` 电子社保卡 sessions. A terminal token without the resident's card and PIN
opens nothing here.

Refusals (bilingual ApiError): 403 ``card_challenge_invalid`` / ``card_not_verified``, 409
``card_mismatch`` / ``card_lost`` (server.card_proof), 429 ``too_many_session_starts`` /
``too_many_failed_proofs`` (server.terminal_limits), 422 ``invalid_request``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from common.card_auth import CHALLENGE_TTL_SECONDS, KEY_CARDHOLDER
from server.api import open_resident_session, person_out
from server.card_proof import check_card_proof, issue_challenge
from server.context import GatewayContext, get_ctx, get_db, get_terminal
from server.errors import TERMINAL_ERROR_RESPONSES, ErrorBody
from server.models import Terminal
from server.schemas import SessionRequest, SessionResponse
from server.terminal_limits import admit_start

logger = logging.getLogger(__name__)

AUTH_METHOD = "card_pin"

router = APIRouter(prefix="/api/v1", responses=TERMINAL_ERROR_RESPONSES)


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


LIMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: _doc("too_many_session_starts / too_many_failed_proofs: the terminal ran into its limits"),
}
PROOF_RESPONSES: dict[int | str, dict[str, Any]] = {
    **LIMIT_RESPONSES,
    403: _doc("card_challenge_invalid / card_not_verified: no valid card proof"),
    409: _doc("card_mismatch / card_lost: the proven card is not the holder's current, usable card"),
}


class ChallengeResponse(BaseModel):
    challenge: str = Field(description="16 random bytes, 32 hex digits: single use, this terminal's only")
    expires_in: int = Field(description="seconds the challenge stays valid")


@router.post(
    "/sessions/challenge",
    response_model=ChallengeResponse,
    status_code=201,
    tags=["sessions"],
    responses=LIMIT_RESPONSES,
)
def session_challenge(
    terminal: Terminal = Depends(get_terminal),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> ChallengeResponse:
    """A single-use challenge for the card to answer, bound to this terminal, valid 60 s."""
    admit_start(db, terminal.id, ctx.settings.terminal_limits)
    challenge = issue_challenge(db, terminal.id)
    return ChallengeResponse(challenge=challenge.hex(), expires_in=CHALLENGE_TTL_SECONDS)


@router.post("/sessions", response_model=SessionResponse, status_code=201, tags=["sessions"], responses=PROOF_RESPONSES)
def start_session(
    body: SessionRequest,
    terminal: Terminal = Depends(get_terminal),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> SessionResponse:
    """Open a ``card_pin`` session with the card's key-02 proof; ends the terminal's previous one."""
    person = check_card_proof(
        ctx,
        db,
        terminal,
        ssn=body.ssn,
        card_number=body.card_number,
        challenge_hex=body.challenge,
        cryptogram_hex=body.cryptogram,
        key_id=KEY_CARDHOLDER,
    )
    session_id = open_resident_session(db, terminal, person, AUTH_METHOD)
    return SessionResponse(session_id=session_id, person=person_out(person))
