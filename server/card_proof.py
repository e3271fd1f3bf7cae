"""The card proof a resident session starts with: single-use challenges and the cryptogram check.

Contract (docs/card-protocol.md, common.card_auth):

1. ``POST /api/v1/sessions/challenge`` (server.card_sessions) issues 16 random bytes, bound to the
   terminal that asked, valid :data:`CHALLENGE_TTL` and spendable once (:func:`issue_challenge`).
2. The kiosk has the card answer INTERNAL AUTHENTICATE on it: key 02 after a good VERIFY for a
   ``card_pin`` session, key 01 for a face session.
3. The session start sends SSN, card number, challenge and cryptogram; :func:`check_card_proof`
   spends the challenge and checks the cryptogram against the key the key store derives for the
   卡识别码 *on record* for that card (never one the terminal sends).

Refusals: 403 ``card_challenge_invalid`` (not this terminal's, used, expired, or never issued) and
403 ``card_not_verified``, one answer for "no such person", "not this person's card" and "wrong
cryptogram", so the gateway tells nobody whether an SSN or a card number exists. Each counts as a
failed proof towards the terminal's limit (server.terminal_limits). Only after a good proof, i.e.
to the card's holder, does the gateway say that the card was replaced (409 ``card_mismatch``) or
reported lost (409 ``card_lost``).

Challenges live in the table ``card_challenges`` (migration 0006), shared by every worker process.
A challenge is spent by one conditional ``DELETE`` (this terminal's and unexpired), so of two
requests with the same challenge at most one gets on (the database locks the row: PostgreSQL
re-checks the condition after a concurrent delete commits, SQLite runs one writer at a time).
Challenges are public nonces, not secrets, so they are stored as they are.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from sqlalchemy import DateTime, Index, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from common.card_auth import CHALLENGE_BYTES, CHALLENGE_TTL_SECONDS
from common.ssn import mask_ssn
from server.auth import utcnow
from server.context import GatewayContext
from server.errors import ApiError
from server.models import Base, Terminal
from server.store.base import CARD_STATUS_ZH, PersonRecord
from server.terminal_limits import ensure_not_locked, record_failure

logger = logging.getLogger(__name__)

CHALLENGE_TTL = dt.timedelta(seconds=CHALLENGE_TTL_SECONDS)
# Checked when the card number matches no card on record, so that answer takes as long as a wrong
# cryptogram: a 卡识别码 no card has (region 000000).
_NO_CARD_ID = "0" * 32


class CardChallenge(Base):
    """An issued challenge (lower-case hex), the terminal it was issued to, and until when it holds."""

    __tablename__ = "card_challenges"
    __table_args__ = (Index("ix_card_challenges_expires_at", "expires_at"),)
    challenge: Mapped[str] = mapped_column(String(32), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


def card_not_verified() -> ApiError:
    return ApiError(
        403,
        "card_not_verified",
        "无法核验该社保卡，请使用本人社保卡重新插卡，或到服务窗口办理",
        "The card could not be verified. Insert your own card again, or go to a service window",
    )


def challenge_invalid() -> ApiError:
    return ApiError(
        403,
        "card_challenge_invalid",
        "社保卡核验已超时，请重新插卡",
        "The card check expired or was already used. Insert the card again",
    )


def issue_challenge(db: Session, terminal_id: str, now: dt.datetime | None = None) -> bytes:
    """A fresh challenge for ``terminal_id`` (expired ones are purged on the way); commits."""
    now = now or utcnow()
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    db.execute(delete(CardChallenge).where(CardChallenge.expires_at <= now))
    db.add(
        CardChallenge(challenge=challenge.hex(), terminal_id=terminal_id, issued_at=now, expires_at=now + CHALLENGE_TTL)
    )
    db.commit()
    return challenge


def spend_challenge(db: Session, terminal_id: str, challenge: bytes, now: dt.datetime | None = None) -> bool:
    """Spend ``challenge`` for ``terminal_id``: True once for a challenge issued to it and unexpired; commits."""
    now = now or utcnow()
    db.commit()  # SQLite: start the write in a fresh transaction
    spent = db.execute(
        delete(CardChallenge).where(
            CardChallenge.challenge == challenge.hex(),
            CardChallenge.terminal_id == terminal_id,
            CardChallenge.expires_at > now,
        )
    ).rowcount
    db.commit()
    return spent == 1


def check_card_proof(
    ctx: GatewayContext,
    db: Session,
    terminal: Terminal,
    *,
    ssn: str,
    card_number: str,
    challenge_hex: str,
    cryptogram_hex: str,
    key_id: int,
) -> PersonRecord:
    """The insured person whose card this is, proven by its cryptogram under ``key_id``; see the
    module doc for the refusals (ApiError). ``challenge_hex`` / ``cryptogram_hex`` are 32 hex digits
    (the request schemas check the shape)."""
    limits = ctx.settings.terminal_limits
    ensure_not_locked(db, terminal.id, limits)
    challenge, answer = bytes.fromhex(challenge_hex), bytes.fromhex(cryptogram_hex)
    if not spend_challenge(db, terminal.id, challenge):
        record_failure(db, terminal.id, "challenge not issued to this terminal, used or expired", limits)
        raise challenge_invalid()
    person = ctx.source.find_person(ssn)
    # Looked up and checked alike whether or not the person exists, so neither the answer nor
    # (much) its timing says which of the three it was.
    card = next((c for c in ctx.source.cards(ssn) if c.card_number == card_number), None)
    proven = ctx.card_keys.verify(key_id, card.card_id if card else _NO_CARD_ID, challenge, answer)
    if person is None or card is None or not proven:
        record_failure(db, terminal.id, "card not verified", limits)
        logger.info("card proof refused", extra={"terminal_id": terminal.id, "ssn": mask_ssn(ssn), "key_id": key_id})
        raise card_not_verified()
    if not card.is_current or card.status == "cancelled":
        raise ApiError(
            409,
            "card_mismatch",
            "该卡不是本人当前有效的社保卡，请使用最新领取的社保卡",
            "This card is not the holder's current social security card",
        )
    if card.status in ("temp_lost", "lost"):
        raise ApiError(
            409,
            "card_lost",
            f"该社保卡已{CARD_STATUS_ZH[card.status]}，请到服务窗口办理解挂或补卡",
            "This card has been reported lost",
        )
    return person
