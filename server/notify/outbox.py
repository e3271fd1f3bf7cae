"""The transactional outbox: a message per status change, written with the change, sent later.

``enqueue`` adds a row in the caller's transaction (never sends, never blocks). An
``OutboxDispatcher`` sends the rows that are due through its ``Notifier``: on its own thread every
``interval`` seconds (``start``/``stop``), or when the caller says (``run_once``, tests). A failed
attempt is retried after ``base`` seconds, doubling each time up to ``cap``; after ``max_attempts``
attempts, or a failure the notifier says no retry can fix, the row is marked ``failed``. A row is
claimed before it is sent (``next_attempt_at`` moved past the send timeout, ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), so two gateway processes never send the same message twice at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from common.ssn import mask_phone
from server.notify.base import Notification, NotificationFailed, Notifier
from server.notify.models import NotificationOutbox

logger = logging.getLogger(__name__)

BATCH = 50
# A claimed row is not picked again for this long: a send that hangs or a process that dies while
# sending gets its message retried, not lost.
CLAIM_SECONDS = 120


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def enqueue(
    db: Session, application_id: int, person_id: int, recipient: str | None, status: str, text: str
) -> NotificationOutbox:
    """Add the message of one status change to the outbox in ``db``'s transaction (caller commits).
    Without a phone number on record the row is kept as ``no_recipient``: the change still shows in
    办事进度, and staff see that nobody was told."""
    now = utcnow()
    row = NotificationOutbox(
        application_id=application_id,
        person_id=person_id,
        channel="sms",
        recipient=recipient,
        status=status,
        text=text,
        state="pending" if recipient else "no_recipient",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.add(row)
    return row


class OutboxDispatcher:
    """Sends the outbox's due messages through ``notifier``, with back-off (see the module doc)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        notifier: Notifier,
        *,
        interval: float = 2.0,
        base: float = 30.0,
        cap: float = 3600.0,
        max_attempts: int = 8,
        numbers: Callable[[int], str] | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.notifier = notifier
        self.interval = interval
        self.base = base
        self.cap = cap
        self.max_attempts = max_attempts
        self._numbers = numbers or (lambda app_id: str(app_id))
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait after the ``attempts``-th failed attempt: base, 2·base, 4·base, ... at most cap."""
        return dt.timedelta(seconds=min(self.base * 2 ** min(attempts - 1, 30), self.cap))

    def _claim(self) -> list[Notification]:
        now = self._clock()
        with self.sessions.begin() as db:
            rows = list(
                db.scalars(
                    select(NotificationOutbox)
                    .where(NotificationOutbox.state == "pending", NotificationOutbox.next_attempt_at <= now)
                    .order_by(NotificationOutbox.next_attempt_at, NotificationOutbox.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            claimed = []
            for row in rows:
                row.next_attempt_at = now + dt.timedelta(seconds=CLAIM_SECONDS)
                claimed.append(Notification(row.id, row.recipient or "", row.text, self._numbers(row.application_id)))
        return claimed

    def _record(self, message: Notification, error: NotificationFailed | None) -> None:
        now = self._clock()
        with self.sessions.begin() as db:
            row = db.get(NotificationOutbox, message.id)
            if row is None:  # the application was deleted meanwhile
                return
            row.attempts += 1
            if error is None:
                row.state, row.sent_at, row.last_error = "sent", now, None
                return
            row.last_error = error.reason[:200]
            if not error.retry or row.attempts >= self.max_attempts:
                row.state = "failed"
                logger.warning(
                    "notification given up",
                    extra={"outbox_id": row.id, "to": mask_phone(row.recipient), "attempts": row.attempts},
                )
            else:
                row.next_attempt_at = now + self.backoff(row.attempts)

    def run_once(self) -> int:
        """Send what is due now; the number of messages sent."""
        sent = 0
        for message in self._claim():
            try:
                self.notifier.send(message)
            except NotificationFailed as exc:
                logger.info("notification not sent", extra={"outbox_id": message.id, "reason": exc.reason})
                self._record(message, exc)
                continue
            except Exception as exc:  # a notifier's bug must not stop the others: retried like a failure
                logger.exception("notifier error", extra={"outbox_id": message.id})
                self._record(message, NotificationFailed(type(exc).__name__))
                continue
            self._record(message, None)
            sent += 1
        return sent

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # the database away for a moment: try again next round
                logger.exception("outbox round failed")

    def start(self) -> None:
        """Send on a daemon thread every ``interval`` seconds (nothing when the interval is 0)."""
        if self.interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="notify-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
