"""Failed face verifications per resident per day, persisted in the gateway database.

The counter lives in the table ``face_attempts`` (migration 0003) rather than in memory so the
daily lock survives restarts and holds across several worker processes. The "day" is the
calendar day in China Standard Time (UTC+8, no daylight saving): residents are told to try again
"tomorrow", which is their local midnight, not UTC's.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Date, DateTime, Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from kiosk.ssn import mask_ssn
from server.models import Base

logger = logging.getLogger(__name__)

MAX_FAILURES_PER_DAY = 5
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


class FaceAttempt(Base):
    """How many face verifications of ``ssn`` failed on ``day`` (China local date)."""

    __tablename__ = "face_attempts"
    ssn: Mapped[str] = mapped_column(String(18), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:  # no SSN in reprs: they end up in logs
        return f"FaceAttempt(day={self.day}, failures={self.failures})"


def china_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in China (UTC+8)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(CHINA_TZ).date()


def failures_today(db: Session, ssn: str, day: dt.date | None = None) -> int:
    """Failed verifications of ``ssn`` recorded for ``day`` (default: today in China)."""
    value = db.scalar(
        select(FaceAttempt.failures).where(FaceAttempt.ssn == ssn, FaceAttempt.day == (day or china_today()))
    )
    return int(value or 0)


def is_locked(db: Session, ssn: str, max_failures: int = MAX_FAILURES_PER_DAY) -> bool:
    """True when ``ssn`` has no face verification attempt left today."""
    return failures_today(db, ssn) >= max_failures


def record_failure(db: Session, ssn: str, day: dt.date | None = None) -> int:
    """Count one failed verification and commit; returns the failures of the day so far.

    The increment is done in SQL (``failures = failures + 1``) so concurrent workers never lose
    an update; the first failure of the day inserts the row, and a concurrent insert of the same
    row (primary-key conflict) falls back to the increment.
    """
    day = day or china_today()
    now = dt.datetime.now(dt.UTC)
    for _ in range(2):
        changed = db.execute(
            update(FaceAttempt)
            .where(FaceAttempt.ssn == ssn, FaceAttempt.day == day)
            .values(failures=FaceAttempt.failures + 1, updated_at=now)
        ).rowcount
        if changed:
            db.commit()
            break
        try:
            db.add(FaceAttempt(ssn=ssn, day=day, failures=1, updated_at=now))
            db.commit()
            break
        except IntegrityError:
            db.rollback()  # another worker inserted it first: increment theirs
    count = failures_today(db, ssn, day)
    db.commit()
    logger.info("face verification failed", extra={"ssn": mask_ssn(ssn), "failures_today": count})
    return count
