"""One print service that owns the printer and the print journal.

Why: the resident's certificate, staff commands (test page, reprints, clearing the queue) and the
recovery of jobs a crash left unfinished all want the same printer. Run from different threads
they interleave sheets and journal states; here ONE daemon thread ("print-service") is the only
thread that ever touches the printer, and every journal transition of a print happens on it.

Contract:
- Jobs run one at a time, in submission order; every ``on_done`` / ``on_error`` reaches the caller
  through ``post`` (the Kivy Clock in the app, a direct call in tests), never on the caller's thread
  directly. Callbacks get one argument: the result, or the exception.
- A certificate goes issued → sent → printed → confirmed in the journal; any failure leaves it
  pending (``mark_failed``) so it can be completed as 补打 / REPRINT of its own serial. Nothing is
  confirmed unless ``print_document`` returned.
- An interrupted print is never issued twice: the caller keys each request with a hash of "this
  resident, this certificate kind, this period" (the service never sees an SSN). Before asking the
  server for a certificate the caller looks up ``unfinished_for(request_key)``; if a job is
  pending it calls ``reprint_job`` (same serial, 补打) instead of issuing a new one.
- Residents first: between ``begin_resident()`` and ``end_resident()`` staff jobs are refused with
  :class:`StaffJobDeferred` (to ``on_error``; staff ask again later), also one queued before the
  resident came but not yet started; a staff reprint run stops after the sheet in progress.
  Recovery never starts while a resident is served. A sheet already printing is never cut.
- Recovery: ``recover_unfinished()`` (called once at start) takes the jobs pending then and
  completes each as 补打 as soon as the printer answers usable and no resident is served; it is
  retried on ``end_resident()``, when a status query sees the printer become usable, and every
  ``recovery_poll`` seconds while such jobs remain (paper may be loaded with nobody at the screen).
  Jobs that fail during this run are not printed unasked (the resident has left; the sheet would
  lie in the tray): the resident asking again, or staff ``reprint_pending``, completes them.
- Retention: the journal's ``purge()`` (old rows deleted, stale unprinted content dropped) runs on
  the print thread when the service starts and every ``purge_every`` seconds (daily) after, between
  jobs, so residents' data does not outlive the journal's retention.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.device_thread import DeviceThread, OnDone, OnError, Post, Task
from kiosk.documents import Document
from kiosk.errors import KioskError, PrinterError
from kiosk.journal import FAILED, ISSUED, SENT, Job, PrintJournal, reprint_job, reprint_pending
from kiosk.layouts import build_receipt_document, build_test_page, reprint_document
from kiosk.printer_status import PrinterStatus

logger = logging.getLogger(__name__)

THREAD_NAME = "print-service"
PURGE_EVERY_SECONDS = 24 * 3600.0
STAFF_KINDS = frozenset({"print_test_page", "reprint_pending", "clear_print_queue"})
_PENDING = (ISSUED, SENT, FAILED)


class StaffJobDeferred(KioskError):
    """A staff job asked for (or reached) while a resident is being served: not run; ask again later."""

    message_key = "print.staff_deferred"


class PrintServiceStopped(KioskError):
    """The service was stopped before this job started: nothing was recorded or printed."""

    message_key = "error.generic"


class PrinterLike(Protocol):
    def status(self) -> PrinterStatus: ...
    def print_document(self, doc: Document) -> None: ...


def _reason(exc: BaseException) -> str:
    """A log-safe failure reason for the journal (exception details here never hold personal data)."""
    return (exc.detail or exc.message_key) if isinstance(exc, KioskError) else type(exc).__name__


class PrintService:
    """The printer's only user. See the module docstring for the contract.

    ``terminal_id`` and ``paper_width_dots`` go on the staff test page; ``lang_default`` is the
    language of reprints nobody asked for in person (recovery, staff); ``recovery_poll`` (seconds,
    None = never) how often an idle service re-checks the printer while recovery jobs remain;
    ``purge_every`` (seconds, None = never, not even at start) how often the journal is purged.
    """

    def __init__(
        self,
        printer: PrinterLike,
        journal: PrintJournal,
        post: Post,
        lang_default: str = "zh_CN",
        reprint_builder: Callable[[str, str], Document] = reprint_document,
        *,
        terminal_id: str = "",
        paper_width_dots: int = 576,
        recovery_poll: float | None = 30.0,
        purge_every: float | None = PURGE_EVERY_SECONDS,
    ) -> None:
        self._printer = printer
        self._journal = journal
        self._post = post
        self.lang_default = lang_default
        self._builder = reprint_builder
        self.terminal_id = terminal_id
        self.paper_width_dots = paper_width_dots
        self._poll = recovery_poll
        self._purge_every = purge_every
        self._next_purge = time.monotonic()  # at start
        self.purges = 0
        self._lock = threading.Lock()
        self._prints = 0
        self._last_status = PrinterStatus.UNKNOWN
        self._resident = threading.Event()
        self._recovery_ids: set[int] = set()
        self._recovery_queued = False
        self._recovering = False  # only touched on the print thread
        self._device = DeviceThread(
            THREAD_NAME,
            post,
            lambda name: PrintServiceStopped(f"{name}: print service stopped"),
            admit=self._admit,
            on_failure=self._failed,
            idle_wait=self._idle_wait,
            on_idle=self._schedule_recovery,
        )
        self._stopping = self._device.stopping
        self._device.start()

    # ------------------------------------------------------------------ resident jobs
    def print_certificate(
        self,
        certificate: dict[str, Any],
        document: Document,
        request_key: str,
        on_done: OnDone,
        on_error: OnError,
        lang: str | None = None,
    ) -> None:
        """Record ``certificate`` under ``request_key`` and print ``document``; ``on_done(job_id)``.

        On failure the job stays pending and ``on_error(exc)`` gets the error (PrinterError for the
        printer). If the same serial was already sent once (a retried request got the same
        certificate back) it prints as 补打 in ``lang``; a different pending job under the same key
        is abandoned as superseded, so one request never leaves two certificates to print.
        """
        self._submit(
            Task(
                "certificate",
                lambda: self._print_certificate(certificate, document, request_key, lang),
                on_done,
                on_error,
            )
        )

    def print_receipt(self, receipt: dict[str, Any], lang: str, on_done: OnDone, on_error: OnError) -> None:
        """Print the 回执 of a submitted application (``kiosk.layouts.build_receipt_document``);
        ``on_done(None)``. Not journalled: a receipt issues nothing, and the resident may simply print
        it again (the application behind it was submitted once, whatever happens to the paper)."""

        def run() -> None:
            self._printer.print_document(build_receipt_document(receipt, lang))
            self._count_print()

        self._submit(Task("receipt", run, on_done, on_error))

    def unfinished_for(self, request_key: str) -> Job | None:
        """The pending job (issued, sent or failed) for ``request_key``, or None. Any thread."""
        return self._journal.unfinished_for(request_key)

    def reprint_job(self, job_id: int, lang: str, on_done: OnDone, on_error: OnError) -> None:
        """Print pending job ``job_id`` as 补打 of its own serial in ``lang``; ``on_done(True)``.

        ``on_done(False)``: nothing printed because the job is no longer pending (done or abandoned
        meanwhile) or holds nothing readable; a printer error goes to ``on_error`` (job stays pending).
        """
        self._submit(Task("reprint", lambda: self._reprint_one(job_id, lang), on_done, on_error))

    def status(self, on_done: OnDone) -> None:
        """Ask the printer (on the print thread); ``on_done(PrinterStatus)``, OFFLINE if the query failed."""
        self._submit(Task("status", self._query_status, on_done))

    @property
    def last_status(self) -> PrinterStatus:
        """The last status seen (query or failed print); UNKNOWN before the first. Any thread."""
        with self._lock:
            return self._last_status

    def begin_resident(self) -> None:
        """A resident is being served (UI thread): staff jobs and recovery wait until ``end_resident``."""
        self._resident.set()

    def end_resident(self) -> None:
        """The resident has gone (UI thread): unfinished jobs from the start may be recovered now."""
        self._resident.clear()
        self._schedule_recovery()

    # ------------------------------------------------------------------ staff and recovery
    def run_staff(self, kind: str, on_done: OnDone, on_error: OnError) -> None:
        """Run a staff command: ``print_test_page`` → "test page printed"; ``reprint_pending`` → how
        many jobs were reprinted as 补打 (stops early, the rest pending, if a resident comes);
        ``clear_print_queue`` → how many pending jobs were abandoned. While a resident is served:
        ``on_error(StaffJobDeferred)``; an unknown kind: ``on_error(ValueError)``."""
        runs: dict[str, Callable[[], Any]] = {
            "print_test_page": self._test_page,
            "reprint_pending": self._staff_reprint,
            "clear_print_queue": self._clear_queue,
        }
        if kind not in runs:
            self._deliver(on_error, ValueError(f"unknown staff job {kind!r}"))
        elif self._resident.is_set():
            self._deliver(on_error, StaffJobDeferred(f"{kind}: a resident is being served"))
        else:
            self._submit(Task(kind, runs[kind], on_done, on_error, staff=True))

    def recover_unfinished(self, on_done: OnDone | None = None) -> None:
        """Take every job pending now (call once at start) for recovery and try at once;
        ``on_done(n)`` with the number reprinted by this attempt (0 if it has to wait)."""
        pending = self._journal.pending()
        with self._lock:
            self._recovery_ids.update(job.job_id for job in pending)
        if pending:
            logger.info("print service: %d unfinished job(s) to recover", len(pending))
        self._submit(Task("recovery", self._recover, on_done))

    # ------------------------------------------------------------------ state for others
    @property
    def idle(self) -> bool:
        """No job running or queued. Any thread."""
        return self._device.idle

    @property
    def prints_done(self) -> int:
        """Certificates confirmed on paper: resident prints, reprints, staff and recovery reprints."""
        with self._lock:
            return self._prints

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is running or queued (a restart must not cut a print); False on timeout."""
        return self._device.wait_idle(timeout)

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop: queued jobs not yet started get ``PrintServiceStopped``; the job printing now is
        finished, not cut (it is confirmed only if it printed). True if the thread ended in time;
        if not, the running job stays unconfirmed until it returns, and is recovered at next start."""
        if self._device.stop(timeout):
            return True
        logger.warning("print service: a job is still running %.1f s after stop", timeout)
        return False

    # ------------------------------------------------------------------ the print thread's policy
    def _submit(self, task: Task) -> None:
        self._device.submit(task)

    def _deliver(self, callback: Callable[[Any], None] | None, value: Any) -> None:
        self._device.deliver(callback, value)

    def _admit(self, task: Task) -> BaseException | None:
        if task.staff and self._resident.is_set():
            # asked for before the resident came: the resident's prints go first, staff ask again
            return StaffJobDeferred(f"{task.name}: a resident is being served")
        return None

    def _failed(self, task: Task, exc: BaseException) -> None:
        if isinstance(exc, PrinterError):
            self._note_status(exc.status)
        logger.warning("print service: %s failed: %s", task.name, _reason(exc))

    def _idle_wait(self) -> float | None:
        """Before the thread waits for work: purge the journal when due."""
        self._purge_if_due()
        return self._wait_seconds()

    def _wait_seconds(self) -> float | None:
        """How long the idle thread may block: until the next recovery poll or purge, or for good."""
        waits = [self._poll] if self._poll else []
        if self._purge_every is not None:
            waits.append(max(0.0, self._next_purge - time.monotonic()))
        return min(waits) if waits else None

    def _purge_if_due(self) -> None:
        if self._purge_every is None or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + self._purge_every
        try:
            deleted = self._journal.purge()
        except Exception:  # a failed purge is tried again next period; printing goes on
            logger.exception("print service: journal purge failed")
            return
        self.purges += 1
        if deleted:
            logger.info("print service: %d old journal row(s) purged", deleted)

    def _print_certificate(
        self, certificate: dict[str, Any], document: Document, request_key: str, lang: str | None
    ) -> int:
        serial, kind = str(certificate.get("serial", "")), str(certificate.get("kind", ""))
        earlier = self._journal.unfinished_for(request_key)
        if earlier is not None and earlier.serial != serial:
            logger.warning("print service: job %d superseded by a new %s certificate %s", earlier.job_id, kind, serial)
            self._journal.mark_abandoned(earlier.job_id, f"superseded by {serial}"[:200])
            self._forget_recovery(earlier.job_id)
        job_id = self._journal.record_issued(serial, kind, json.dumps(certificate, ensure_ascii=False), request_key)
        job = self._journal.get(job_id)
        if job is not None and job.is_reprint:
            # this serial already went to the printer once: what comes out now is a 补打
            document = self._builder(job.doc_json or "", lang or self.lang_default)
        self._journal.mark_sent(job_id)
        try:
            self._printer.print_document(document)
        except Exception as exc:
            self._journal.mark_failed(job_id, _reason(exc))
            raise
        self._journal.mark_confirmed(job_id)
        self._forget_recovery(job_id)
        self._count_print()
        return job_id

    def _reprint_one(self, job_id: int, lang: str) -> bool:
        job = self._journal.get(job_id)
        if job is None or job.state not in _PENDING:
            logger.info("print service: job %d is no longer pending; nothing reprinted", job_id)
            self._forget_recovery(job_id)
            return False
        printed = reprint_job(self._journal, self._printer, job, lang, self._builder)
        self._forget_recovery(job_id)
        if printed:
            self._count_print()
        return printed

    def _query_status(self) -> PrinterStatus:
        try:
            raw = self._printer.status()
            status = PrinterStatus.parse(raw if isinstance(raw, str) else getattr(raw, "name", ""))
        except Exception as exc:  # a driver that raises instead of answering OFFLINE
            logger.warning("print service: status query failed: %s", _reason(exc))
            status = PrinterStatus.OFFLINE
        self._note_status(status)
        return status

    def _note_status(self, status: PrinterStatus) -> None:
        with self._lock:
            before, self._last_status = self._last_status, status
        if status.checked_usable and not before.checked_usable:
            self._schedule_recovery()

    def _test_page(self) -> str:
        self._printer.print_document(build_test_page(self.terminal_id, self.paper_width_dots))
        return "test page printed"

    def _staff_reprint(self) -> int:
        def printed(job: Job) -> None:
            self._forget_recovery(job.job_id)
            self._count_print()

        confirmed = reprint_pending(
            self._journal,
            self._printer,
            self.lang_default,
            on_printed=printed,
            builder=self._builder,
            keep_going=lambda: not self._resident.is_set() and not self._stopping.is_set(),
        )
        return len(confirmed)

    def _clear_queue(self) -> int:
        jobs = self._journal.pending()
        for job in jobs:
            self._journal.mark_abandoned(job.job_id, "cleared by staff")
        with self._lock:
            self._recovery_ids.clear()
        logger.info("print service: %d pending job(s) cleared by staff", len(jobs))
        return len(jobs)

    def _schedule_recovery(self) -> None:
        """Queue one recovery attempt if there is anything to recover and nothing stands in the way."""
        with self._lock:
            if (
                not self._recovery_ids
                or self._recovery_queued
                or self._recovering
                or self._resident.is_set()
                or self._stopping.is_set()
            ):
                return
            self._recovery_queued = True
        self._submit(Task("recovery", self._recover))

    def _recover(self) -> int:
        with self._lock:
            self._recovery_queued = False
            ids = sorted(self._recovery_ids)
        if not ids or self._resident.is_set():
            return 0  # a resident is served: end_resident() tries again
        self._recovering = True
        try:
            if not self._query_status().checked_usable:
                return 0  # the status turning usable (or the poll) tries again
            done = 0
            for job_id in ids:
                if self._resident.is_set() or self._stopping.is_set():
                    break
                job = self._journal.get(job_id)
                if job is not None and job.state in _PENDING:
                    try:
                        printed = reprint_job(self._journal, self._printer, job, self.lang_default, self._builder)
                    except PrinterError as exc:
                        self._note_status(exc.status)
                        logger.warning("print service: recovery of job %d stopped: %s", job_id, exc.status.name)
                        break
                    if printed:
                        self._count_print()
                        done += 1
                self._forget_recovery(job_id)
            if done:
                logger.info("print service: %d unfinished job(s) completed as 补打", done)
            return done
        finally:
            self._recovering = False

    def _forget_recovery(self, job_id: int) -> None:
        with self._lock:
            self._recovery_ids.discard(job_id)

    def _count_print(self) -> None:
        with self._lock:
            self._prints += 1
