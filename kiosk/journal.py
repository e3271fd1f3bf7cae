"""The local print journal (SQLite in the data directory): issued → sent → confirmed | failed.

Why: a certificate is issued once by the server; if the paper runs out mid-job, the kiosk crashes
or the power goes, the job must be reprintable as a *reprint of the same serial*, never lost and
never issued again. Every state change is committed before the next step, so after a restart
``pending()`` lists exactly the jobs not confirmed on paper.

What it holds (data protection): per job the serial, kind, state, times, a failure reason, and
``doc_json`` — the certificate content, which is the minimum needed to reprint it (it contains
the resident's name and 社会保障号码), and ``request_key``, the caller's hash of "this resident, this
certificate kind, this period" (never the SSN itself), so a resident asking again for a certificate
whose print was interrupted gets that one reprinted instead of a new serial. Nothing else about
residents is stored. Confirmed and abandoned jobs drop their ``doc_json`` and ``request_key`` at once, and ``purge()`` deletes confirmed rows (and abandoned ones) older than
``retention_days`` and expires pending jobs untouched for as long (the print service runs it at
start and daily). The file is created with mode 0600 (readable by the kiosk's user alone).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

ISSUED, SENT, CONFIRMED, FAILED, ABANDONED = "issued", "sent", "confirmed", "failed", "abandoned"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS print_jobs (
    job_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    serial       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL,
    doc_json     TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    reason       TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    request_key  TEXT
);
CREATE INDEX IF NOT EXISTS print_jobs_state ON print_jobs(state);
CREATE INDEX IF NOT EXISTS print_jobs_serial ON print_jobs(serial);
"""
# after the request_key migration: an older file has no such column when _SCHEMA runs
_REQUEST_KEY_INDEX = "CREATE INDEX IF NOT EXISTS print_jobs_request_key ON print_jobs(request_key)"
_COLUMNS = "job_id, serial, kind, state, doc_json, attempts, reason, created_at, updated_at, request_key"
_PENDING = (ISSUED, SENT, FAILED)


@dataclass(frozen=True)
class Job:
    job_id: int
    serial: str
    kind: str
    state: str
    doc_json: str | None
    attempts: int
    reason: str | None
    created_at: str
    updated_at: str
    request_key: str | None = None

    @property
    def is_reprint(self) -> bool:
        """A pending job that was already sent once must print as 补打 / REPRINT."""
        return self.attempts > 0


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class PrintJournal:
    """Thread-safe journal of print jobs in one SQLite file. ``retention_days``: see ``purge``."""

    def __init__(self, path: Path | str, retention_days: int = 30) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # survive a power cut: the state is the point
        # Dropped content (names, 社会保障号码) is overwritten on disk, not left in free pages.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Bring a journal file written by an older version up to this schema (in place)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(print_jobs)")}
        if "request_key" not in columns:
            try:
                self._db.execute("ALTER TABLE print_jobs ADD COLUMN request_key TEXT")
                logger.info("journal %s: added column request_key", self.path.name)
            except sqlite3.OperationalError as exc:
                # another process (a CLI tool beside the app) may have added it a moment ago
                if "duplicate column" not in str(exc):
                    raise
        self._db.execute(_REQUEST_KEY_INDEX)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> PrintJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ lifecycle
    def record_issued(self, serial: str, kind: str, doc_json: str, request_key: str | None = None) -> int:
        """A certificate came back from the server: keep it before anything is printed.

        The same serial still pending is not recorded twice: its existing job id is returned (its
        content and, when given, its ``request_key`` are updated). ``request_key`` is a hash the
        caller made (see ``unfinished_for``); "" or None stores nothing.
        """
        key = request_key or None
        with self._lock:
            row = self._db.execute(
                "SELECT job_id FROM print_jobs WHERE serial = ? AND state IN (?, ?, ?) ORDER BY job_id DESC LIMIT 1",
                (serial, *_PENDING),
            ).fetchone()
            if row is not None and serial:
                self._db.execute(
                    "UPDATE print_jobs SET doc_json = ?, request_key = COALESCE(?, request_key), updated_at = ? "
                    "WHERE job_id = ?",
                    (doc_json, key, _now(), row[0]),
                )
                return int(row[0])
            now = _now()
            cursor = self._db.execute(
                "INSERT INTO print_jobs(serial, kind, state, doc_json, created_at, updated_at, request_key) "
                "VALUES (?,?,?,?,?,?,?)",
                (serial, kind, ISSUED, doc_json, now, now, key),
            )
            job_id = int(cursor.lastrowid or 0)
        logger.info("journal: job %d issued (%s %s)", job_id, kind, serial)
        return job_id

    def mark_sent(self, job_id: int) -> None:
        """The bytes are going to the printer now; from here on a retry is a reprint."""
        self._set(job_id, SENT, None, bump=True)

    def mark_confirmed(self, job_id: int) -> None:
        """The printer reported a good state after the job: done; the content and key are dropped."""
        with self._lock:
            self._db.execute(
                "UPDATE print_jobs SET state = ?, doc_json = NULL, request_key = NULL, reason = NULL, updated_at = ? "
                "WHERE job_id = ?",
                (CONFIRMED, _now(), job_id),
            )
        logger.info("journal: job %d confirmed", job_id)

    def mark_failed(self, job_id: int, reason: str) -> None:
        """Printing failed (paper out, cover open, offline): stays pending for a reprint."""
        self._set(job_id, FAILED, reason[:200], bump=False)

    def mark_abandoned(self, job_id: int, reason: str = "abandoned") -> None:
        """Staff gave up on a job: it leaves ``pending()`` and its content and key are dropped."""
        with self._lock:
            self._db.execute(
                "UPDATE print_jobs SET state = ?, doc_json = NULL, request_key = NULL, reason = ?, updated_at = ? "
                "WHERE job_id = ?",
                (ABANDONED, reason[:200], _now(), job_id),
            )

    def _set(self, job_id: int, state: str, reason: str | None, bump: bool) -> None:
        with self._lock:
            self._db.execute(
                f"UPDATE print_jobs SET state = ?, reason = ?, updated_at = ?"
                f"{', attempts = attempts + 1' if bump else ''} WHERE job_id = ?",
                (state, reason, _now(), job_id),
            )
        logger.info("journal: job %d %s%s", job_id, state, f" ({reason})" if reason else "")

    # ------------------------------------------------------------------ queries
    def get(self, job_id: int) -> Job | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM print_jobs WHERE job_id = ?", (job_id,)).fetchone()
        return Job(*row) if row else None

    def unfinished_for(self, request_key: str) -> Job | None:
        """The newest pending job (issued, sent or failed) recorded under ``request_key``, or None.

        Why: a resident whose print was interrupted and who asks again for the same certificate
        and period must get that job reprinted (补打, same serial), never a second certificate.
        """
        if not request_key:
            return None
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM print_jobs WHERE request_key = ? AND state IN (?, ?, ?) "
                "ORDER BY job_id DESC LIMIT 1",
                (request_key, *_PENDING),
            ).fetchone()
        return Job(*row) if row else None

    def pending(self) -> list[Job]:
        """Jobs issued or sent (or failed) but not confirmed: to reprint, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM print_jobs WHERE state IN (?, ?, ?) ORDER BY job_id", _PENDING
            ).fetchall()
        return [Job(*row) for row in rows]

    def counts(self) -> dict[str, int]:
        """Jobs per state (for the doctor and the fleet manager's health view)."""
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM print_jobs GROUP BY state").fetchall()
        return {state: int(n) for state, n in rows}

    def purge(self, days: int | None = None, now: dt.datetime | None = None) -> int:
        """Delete confirmed and abandoned jobs older than ``days`` (default ``retention_days``), and
        abandon (content and key dropped) pending jobs untouched for as long: after that a reprint
        is no longer owed, and the resident's name and number must not stay on the kiosk. Returns
        the number of rows deleted. The print service calls this at start and daily."""
        limit = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=self.retention_days if days is None else days)
        cutoff = limit.isoformat(timespec="seconds")
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM print_jobs WHERE state IN (?, ?) AND updated_at < ?", (CONFIRMED, ABANDONED, cutoff)
            )
            # After the delete: an expired job keeps its row (serial, no content) for one more period.
            expired = self._db.execute(
                "UPDATE print_jobs SET state = ?, doc_json = NULL, request_key = NULL, reason = ?, updated_at = ? "
                "WHERE state IN (?, ?, ?) AND updated_at < ?",
                (ABANDONED, "expired unprinted", _now(), *_PENDING, cutoff),
            ).rowcount
        if expired:
            logger.info("journal: %d unprinted job(s) past %s expired", expired, cutoff)
        return int(cursor.rowcount)


class _Printer(Protocol):
    def print_document(self, doc: Any) -> None: ...


DocumentBuilder = Callable[[str, str], Any]


def reprint_job(
    journal: PrintJournal,
    printer: _Printer,
    job: Job,
    lang: str = "zh_CN",
    builder: DocumentBuilder | None = None,
    fetch: Callable[[Job], dict[str, Any] | None] | None = None,
) -> bool:
    """Reprint one pending job as 补打 / REPRINT of its own serial: sent → printed → confirmed.

    Returns True once confirmed on paper; False when nothing could be printed because nothing
    readable is stored (the job is then abandoned, with the reason, so it never blocks the queue).
    A printer failure marks the job failed (still pending) and is re-raised.
    ``builder(doc_json, lang)`` makes the document (default ``kiosk.layouts.reprint_document``);
    ``fetch``: see ``reprint_pending``.
    """
    import json

    from kiosk.errors import KioskError

    if builder is None:
        from kiosk.layouts import reprint_document  # lazily: the journal itself needs no layouts

        builder = reprint_document

    fresh = fetch(job) if fetch is not None else None
    doc_json = json.dumps({**fresh, "reprint": True}, ensure_ascii=False) if fresh else job.doc_json
    if not doc_json:
        journal.mark_abandoned(job.job_id, "nothing stored to reprint")
        return False
    try:
        document = builder(doc_json, lang)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # corrupt stored content would fail every later attempt too and hold up the jobs behind it
        logger.error("journal: job %d cannot be rebuilt for a reprint (%s): abandoned", job.job_id, type(exc).__name__)
        journal.mark_abandoned(job.job_id, f"stored content unreadable: {type(exc).__name__}")
        return False
    journal.mark_sent(job.job_id)
    try:
        printer.print_document(document)
    except Exception as exc:
        reason = (exc.detail or exc.message_key) if isinstance(exc, KioskError) else type(exc).__name__
        journal.mark_failed(job.job_id, reason)
        raise
    journal.mark_confirmed(job.job_id)
    logger.info("journal: job %d reprinted (%s)", job.job_id, job.kind)
    return True


def reprint_pending(
    journal: PrintJournal,
    printer: _Printer,
    lang: str = "zh_CN",
    fetch: Callable[[Job], dict[str, Any] | None] | None = None,
    on_printed: Callable[[Job], None] | None = None,
    builder: DocumentBuilder | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> list[int]:
    """Reprint every pending job as 补打 / REPRINT of its own serial; return the confirmed job ids.

    ``fetch(job)`` may return the server's reprint of the certificate (so the server counts it,
    e.g. ``backend.reprint_certificate``); otherwise the stored content is used. Stops at the
    first printer error (re-raised after ``mark_failed``): the remaining jobs stay pending.
    ``on_printed(job)`` is called as each job is confirmed on paper, so a caller counting printouts
    (the heartbeat's ``prints``) counts those made before a later job failed too.
    ``builder``: see ``reprint_job``. ``keep_going()`` is asked before each job; False stops the
    run there (a resident came to the terminal) and the rest stay pending.
    """
    confirmed: list[int] = []
    for job in journal.pending():
        if keep_going is not None and not keep_going():
            logger.info("journal: reprints stopped before job %d", job.job_id)
            break
        if not reprint_job(journal, printer, job, lang, builder, fetch):
            continue
        confirmed.append(job.job_id)
        if on_printed is not None:
            on_printed(job)
    return confirmed
