"""Per-terminal limits on session starts and failed card proofs, and the console's alerts.

A stolen terminal token alone opens no session (server.card_proof), but whoever holds one can
still ask for challenges and guess. These limits bound that, per terminal and per window
(``settings.terminal_limits``):

- at most ``session_starts`` starts (a card challenge, a 电子社保卡 sign-in) per window;
- once ``failed_proofs`` card proofs failed in the window (a challenge not this terminal's, used or
  expired; a cryptogram that is not the card's; a card the records do not know), no start at all.

A refusal is 429 (``too_many_session_starts`` / ``too_many_failed_proofs``), logged as a warning
and kept as an alert event, which the fleet console lists for a day (:func:`recent_alerts`).

Events live in the table ``terminal_auth_events`` (migration 0006), so the limits hold across the
gateway's worker processes. Concurrency: a terminal's starts are admitted one at a time (PostgreSQL
queues them on the terminal's row, ``SELECT ... FOR UPDATE``; SQLite has one writer at a time, taken
by the start's insert, before the window is counted in the same transaction), so however many
arrive together, exactly ``session_starts`` are admitted in a window; the rest are kept as refusals,
which do not count. Events older than a day are purged on the way, which keeps the table small
without a housekeeping job.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import DateTime, Index, Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.auth import utcnow
from server.errors import ApiError
from server.models import Base, Terminal
from server.settings import TerminalLimits

logger = logging.getLogger(__name__)

START, FAILURE = "start", "failure"
OVER_STARTS, OVER_FAILURES = "over_starts", "over_failures"
ALERT_KINDS = (OVER_STARTS, OVER_FAILURES)
KEEP = dt.timedelta(days=1)


class TerminalAuthEvent(Base):
    """One session start, failed card proof or limit refusal of a terminal."""

    __tablename__ = "terminal_auth_events"
    __table_args__ = (
        Index("ix_terminal_auth_events_terminal_kind_at", "terminal_id", "kind", "at"),
        Index("ix_terminal_auth_events_at", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # start / failure / over_starts / over_failures
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class AuthAlert:
    """A terminal that ran into a limit in the last day: which one, how often, when last."""

    terminal_id: str
    kind: str  # over_starts / over_failures
    count: int
    last_at: dt.datetime


def too_many_starts() -> ApiError:
    return ApiError(
        429,
        "too_many_session_starts",
        "本终端短时间内发起的业务过多，请稍后再试或联系工作人员",
        "This terminal started too many sessions in a short time; try again later or call staff",
    )


def too_many_failures() -> ApiError:
    return ApiError(
        429,
        "too_many_failed_proofs",
        "本终端身份核验失败次数过多，已暂停办理，请联系工作人员",
        "Too many failed card checks at this terminal: service is paused, please call staff",
    )


def _count(db: Session, terminal_id: str, kind: str, since: dt.datetime) -> int:
    statement = select(func.count()).where(
        TerminalAuthEvent.terminal_id == terminal_id, TerminalAuthEvent.kind == kind, TerminalAuthEvent.at > since
    )
    return int(db.scalar(statement) or 0)


def _add(db: Session, terminal_id: str, kind: str, now: dt.datetime) -> TerminalAuthEvent:
    event = TerminalAuthEvent(terminal_id=terminal_id, kind=kind, at=now)
    db.add(event)
    db.flush()
    return event


def ensure_not_locked(db: Session, terminal_id: str, limits: TerminalLimits, now: dt.datetime | None = None) -> None:
    """429 ``too_many_failed_proofs`` while the terminal's failed proofs in the window reach the limit
    (the refusal is kept as an alert event; commits)."""
    now = now or utcnow()
    db.commit()  # SQLite: a transaction that has read cannot turn writer once another one committed
    since = now - dt.timedelta(seconds=limits.window_seconds)
    if _count(db, terminal_id, FAILURE, since) < limits.failed_proofs:
        db.commit()
        return
    _add(db, terminal_id, OVER_FAILURES, now)
    db.commit()
    logger.warning("session start refused: too many failed card proofs", extra={"terminal_id": terminal_id})
    raise too_many_failures()


def admit_start(db: Session, terminal_id: str, limits: TerminalLimits, now: dt.datetime | None = None) -> None:
    """Count one session start of the terminal, or refuse it with 429 (see the module doc); commits."""
    now = now or utcnow()
    ensure_not_locked(db, terminal_id, limits, now)
    if db.get_bind().dialect.name == "postgresql":
        # Starts of one terminal queue here, so each counts the window with the others' starts in it.
        db.execute(select(Terminal.id).where(Terminal.id == terminal_id).with_for_update())
    # On SQLite the insert is the transaction's first statement and takes the one writer lock.
    event = _add(db, terminal_id, START, now)
    admitted = _count(db, terminal_id, START, now - dt.timedelta(seconds=limits.window_seconds))
    if admitted > limits.session_starts:
        db.execute(update(TerminalAuthEvent).where(TerminalAuthEvent.id == event.id).values(kind=OVER_STARTS))
        db.commit()
        logger.warning("session start refused: too many session starts", extra={"terminal_id": terminal_id})
        raise too_many_starts()
    db.commit()
    db.execute(delete(TerminalAuthEvent).where(TerminalAuthEvent.at < now - KEEP))
    db.commit()


def record_failure(
    db: Session, terminal_id: str, reason: str, limits: TerminalLimits, now: dt.datetime | None = None
) -> None:
    """Count one failed card proof of the terminal (``reason`` goes to the log only); commits.

    The failure that brings the window to the limit also leaves an alert event, so the console shows
    the terminal at once, not only when it next tries to start a session.
    """
    now = now or utcnow()
    db.commit()
    _add(db, terminal_id, FAILURE, now)
    db.commit()
    since = now - dt.timedelta(seconds=limits.window_seconds)
    failures = _count(db, terminal_id, FAILURE, since)
    logger.warning(
        "card proof failed", extra={"terminal_id": terminal_id, "reason": reason, "failures_in_window": failures}
    )
    if failures >= limits.failed_proofs and not _count(db, terminal_id, OVER_FAILURES, since):
        _add(db, terminal_id, OVER_FAILURES, now)
        logger.warning("terminal reached the failed card proof limit", extra={"terminal_id": terminal_id})
    db.commit()


def recent_alerts(db: Session, now: dt.datetime | None = None) -> list[AuthAlert]:
    """Terminals that ran into a limit in the last day, the latest first (for the fleet console)."""
    since = (now or utcnow()) - KEEP
    rows = db.execute(
        select(TerminalAuthEvent.terminal_id, TerminalAuthEvent.kind, func.count(), func.max(TerminalAuthEvent.at))
        .where(TerminalAuthEvent.kind.in_(ALERT_KINDS), TerminalAuthEvent.at > since)
        .group_by(TerminalAuthEvent.terminal_id, TerminalAuthEvent.kind)
    ).all()
    alerts = [AuthAlert(terminal_id, kind, int(count), _as_utc(last)) for terminal_id, kind, count, last in rows]
    return sorted(alerts, key=lambda alert: alert.last_at, reverse=True)


def _as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands timezone-aware columns back naive; they were stored as UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
