"""Face checks made inside an open session: a resident proved to the camera, live, that it is them.

``POST /api/v1/sessions/{id}/face-checks`` (server.face_checks) records one row per match; an
application that must be made in person by face (养老待遇资格认证) names it in its form, and its
rule takes it only when it is this session's and person's, at most ``CHECK_VALID_FOR`` old and
used by no other application. :func:`claim_check` marks it used in the submission's transaction
with a conditional update, so two simultaneous submissions cannot both use one check.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.models import Base

logger = logging.getLogger(__name__)

CHECK_VALID_FOR = dt.timedelta(minutes=10)
CHECK_ID_PATTERN = r"^[0-9a-f]{32}$"


class FaceCheck(Base):
    """One matching face check of ``person_id`` in session ``session_id``; ``used_at`` once an
    application took it."""

    __tablename__ = "face_checks"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("resident_sessions.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(Integer)
    terminal_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def __repr__(self) -> str:
        return f"FaceCheck(id={self.id[:8]}…, used={self.used_at is not None})"


def record_check(db: Session, session_id: str, person_id: int, terminal_id: str, score: float, now: dt.datetime) -> str:
    """Store a matching check and commit; returns its id (random: it names nothing)."""
    check_id = secrets.token_hex(16)
    db.add(
        FaceCheck(
            id=check_id,
            session_id=session_id,
            person_id=person_id,
            terminal_id=terminal_id,
            score=score,
            created_at=now,
        )
    )
    db.commit()
    return check_id


def _as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands timezone-aware columns back naive; they were stored as UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def usable_check(db: Session, check_id: str, session_id: str, person_id: int, now: dt.datetime) -> str | None:
    """Why check ``check_id`` cannot be used by this session's person now (``face_check_invalid``,
    ``face_check_expired``, ``face_check_used``), or None when it can."""
    check = db.get(FaceCheck, check_id)
    if check is None or check.session_id != session_id or check.person_id != person_id:
        return "face_check_invalid"
    if check.used_at is not None:
        return "face_check_used"
    if now - _as_utc(check.created_at) > CHECK_VALID_FOR:
        return "face_check_expired"
    return None


def claim_check(db: Session, check_id: str, session_id: str, person_id: int, now: dt.datetime) -> bool:
    """Mark the check used, in the caller's transaction, only if it is still unused, this session's
    and fresh; False when another submission took it first (or it aged meanwhile)."""
    statement = (
        update(FaceCheck)
        .where(
            FaceCheck.id == check_id,
            FaceCheck.session_id == session_id,
            FaceCheck.person_id == person_id,
            FaceCheck.used_at.is_(None),
            FaceCheck.created_at >= now - CHECK_VALID_FOR,
        )
        .values(used_at=now)
    )
    return bool(db.execute(statement).rowcount)
