"""Failed face verifications per resident per day, persisted in the gateway database.

The counter lives in the table ``face_attempts`` (migration 0003) rather than in memory so the
daily lock survives restarts and holds across several worker processes. The "day" is the
calendar day in China Standard Time (UTC+8, no daylight saving): residents are told to try again
"tomorrow", which is their local midnight, not UTC's.

Concurrency contract: a verification takes hundreds of milliseconds, so "read the counter, verify,
then count the failure" lets simultaneous requests all pass the check. The endpoint therefore
*reserves* an attempt before verifying (:func:`reserve_attempt`: a conditional increment that only
succeeds while the counter is below the limit, atomic in SQL on SQLite and PostgreSQL alike, so it
holds across threads and worker processes) and gives it back (:func:`release_attempt`) when the
attempt turns out not to count. An attempt in flight therefore already counts: while the last
allowed attempt is being verified, a simultaneous one is refused as locked. A worker that dies
between the two steps leaves its reservation counted - the safe side for an identity check.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Date, DateTime, Integer, String, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from common.ssn import mask_ssn
from server.models import Base

logger = logging.getLogger(__name__)

MAX_FAILURES_PER_DAY = 5
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


class FaceAttempt(Base):
    """How many face verifications of ``ssn`` failed on ``day`` (China local date).

    ``failures`` also includes attempts reserved and still being verified (see the module doc).
    """

    __tablename__ = "face_attempts"
    ssn: Mapped[str] = mapped_column(String(18), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:  # no SSN in reprs: they end up in logs
        return f"FaceAttempt(day={self.day}, failures={self.failures})"


@dataclass(frozen=True)
class Reservation:
    """One attempt taken from ``ssn``'s allowance of ``day``; ``failures`` counts it in.

    The day is kept so an attempt that straddles midnight is given back to the day it was taken
    from. ``repr`` masks the SSN (reservations end up in log lines and tracebacks).
    """

    ssn: str
    day: dt.date
    failures: int

    def __repr__(self) -> str:
        return f"Reservation(ssn={mask_ssn(self.ssn)}, day={self.day}, failures={self.failures})"


def china_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in China (UTC+8)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(CHINA_TZ).date()


def failures_today(db: Session, ssn: str, day: dt.date | None = None) -> int:
    """Failed (or reserved) verifications of ``ssn`` recorded for ``day`` (default: today in China)."""
    value = db.scalar(
        select(FaceAttempt.failures).where(FaceAttempt.ssn == ssn, FaceAttempt.day == (day or china_today()))
    )
    return int(value or 0)


def _increment(db: Session, ssn: str, day: dt.date, now: dt.datetime, below: int) -> bool:
    """``failures += 1`` on the row of (ssn, day), only while ``failures < below``.

    The condition is evaluated by the database on the row it locks for the update: PostgreSQL
    re-checks it on the newest row version after a concurrent update commits (READ COMMITTED),
    SQLite runs one writer at a time. Either way two transactions cannot both take the last slot.
    """
    statement = update(FaceAttempt).where(FaceAttempt.ssn == ssn, FaceAttempt.day == day, FaceAttempt.failures < below)
    return bool(db.execute(statement.values(failures=FaceAttempt.failures + 1, updated_at=now)).rowcount)


def _count_one(db: Session, ssn: str, day: dt.date, below: int) -> int | None:
    """Increment (while below ``below``) or insert the day's first row and commit; returns the day's count
    right after this increment (read before committing, while the row is still ours), None when
    the limit is reached.

    The first attempt of the day inserts the row; a concurrent insert of the same row (primary-key
    conflict) falls back to the increment. The caller's open transaction is ended first: on SQLite
    a transaction that has read cannot become a writer after another one committed.
    """
    if below <= 0:
        return None
    db.commit()
    now = dt.datetime.now(dt.UTC)
    for _ in range(3):
        if _increment(db, ssn, day, now, below):
            count = failures_today(db, ssn, day)
            db.commit()
            return count
        # No row was changed: there is no row yet, or it is at the limit - or it appeared (or was
        # given back) since the update, in which case the update is simply tried again.
        current = db.scalar(select(FaceAttempt.failures).where(FaceAttempt.ssn == ssn, FaceAttempt.day == day))
        if current is not None:
            if current >= below:
                db.commit()
                return None
            db.commit()
            continue
        try:
            db.add(FaceAttempt(ssn=ssn, day=day, failures=1, updated_at=now))
            db.commit()
            return 1
        except IntegrityError:
            db.rollback()  # another worker inserted it first: increment theirs
    db.commit()
    logger.warning("face attempt counter kept changing; attempt not counted", extra={"ssn": mask_ssn(ssn)})
    return None


def reserve_attempt(
    db: Session, ssn: str, max_failures: int = MAX_FAILURES_PER_DAY, day: dt.date | None = None
) -> Reservation | None:
    """Take one attempt of today's allowance before verifying; ``None`` when none is left.

    Commits ``db`` (the reservation must be visible to other workers at once; pending changes of
    the caller are committed with it). Every reservation must end in :func:`release_attempt`
    unless the attempt counts as a failure.
    """
    day = day or china_today()
    count = _count_one(db, ssn, day, max_failures)
    return None if count is None else Reservation(ssn, day, count)


def release_attempt(db: Session, reservation: Reservation) -> None:
    """Give back a reserved attempt that did not count (a match, an unusable capture, an error).

    Never raises on a database error: this runs while another error may be propagating, which
    must not be masked. The attempt then stays counted (logged), the safe side of the lock.
    The session's current transaction is rolled back first (it may hold a failed statement).
    """
    try:
        db.rollback()  # a failed statement of the caller must not block the release
        db.execute(
            update(FaceAttempt)
            .where(FaceAttempt.ssn == reservation.ssn, FaceAttempt.day == reservation.day, FaceAttempt.failures > 0)
            .values(failures=FaceAttempt.failures - 1, updated_at=dt.datetime.now(dt.UTC))
        )
        db.commit()
    except SQLAlchemyError:
        logger.exception("face attempt not given back", extra={"ssn": mask_ssn(reservation.ssn)})
        db.rollback()
