"""Opening a resident session with the card's proof: the gateway's challenge, the card's answer.

Both run on the worker (they block on the card and the network), on the card session that read
the card: ``sign_in_with_pin`` right after a good ``verify_pin`` (key 02, the cardholder: selecting
the card's DF again in between would clear the PIN state the card needs), ``sign_in_with_face``
with the frames of a passed capture (key 01, card presence; the gateway matches the face). The
terminal never states how the resident was identified: the gateway reads it off the proof.

Errors: kiosk.errors.CardError from the card (pulled, 6982), BackendRejected / FaceRefused /
BackendUnavailable / BackendTimeout from the gateway. Neither call is retried: a challenge is
single use and a failed proof counts against the terminal.
"""

from __future__ import annotations

import logging

from common.card_auth import KEY_CARD_PRESENCE, KEY_CARDHOLDER
from kiosk.models import CardData
from kiosk.ports import Backend, CardSession

logger = logging.getLogger(__name__)


def sign_in_with_pin(backend: Backend, card_session: CardSession, card: CardData) -> dict:
    """A ``card_pin`` session: the card's key-02 answer to a fresh challenge (after a good VERIFY)."""
    challenge = backend.session_challenge()
    cryptogram = card_session.authenticate(KEY_CARDHOLDER, challenge)
    return backend.start_session(card.ssn, card.card_number, challenge, cryptogram)


def sign_in_with_face(backend: Backend, card_session: CardSession, card: CardData, frames: list[bytes]) -> dict:
    """A face session: the card's key-01 answer to a fresh challenge, and the frames to match."""
    challenge = backend.session_challenge()
    cryptogram = card_session.authenticate(KEY_CARD_PRESENCE, challenge)
    return backend.start_face_session(card.ssn, card.card_number, frames, challenge, cryptogram)
