"""PrintService: one thread owns the printer; the journal never lets a certificate print twice as
an original, nor get lost; residents come before staff and before recovery.

Real PrintJournal on tmp_path; a fake printer that records every call and the thread it came from."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.documents import Document, Text
from kiosk.errors import PrinterError
from kiosk.journal import ABANDONED, CONFIRMED, FAILED, SENT, PrintJournal
from kiosk.print_service import THREAD_NAME, PrintService, PrintServiceStopped, StaffJobDeferred
from kiosk.printer_status import PrinterStatus

KEY = "rk-" + "0" * 61  # what the caller passes: a hash, never an SSN


class FakePrinter:
    """Records ("status" | "print", title, thread name); ``gate`` (when set) holds each print until
    released; ``fail_with`` makes prints raise as a printer out of paper does."""

    def __init__(self, status: PrinterStatus = PrinterStatus.READY) -> None:
        self.state = status
        self.fail_with: PrinterStatus | None = None
        self.gate: threading.Event | None = None
        self.started = threading.Event()
        self.calls: list[tuple[str, str, str]] = []
        self.printed: list[Document] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def status(self) -> PrinterStatus:
        self.calls.append(("status", self.state.name, threading.current_thread().name))
        return self.state

    def print_document(self, doc: Document) -> None:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            self.calls.append(("print", doc.title, threading.current_thread().name))
            self.started.set()
            if self.gate is not None:
                self.gate.wait(10)
            time.sleep(0.005)  # long enough for an overlapping job to show in max_active
            if self.fail_with is not None:
                raise PrinterError(self.fail_with, "paper ran out mid-job")
            self.printed.append(doc)
        finally:
            with self._lock:
                self.active -= 1

    def titles(self) -> list[str]:
        return [doc.title for doc in self.printed]


class Inbox:
    """A ``post`` that collects callbacks (as the Kivy Clock would) until ``run()`` runs them."""

    def __init__(self, immediate: bool = True) -> None:
        self.immediate = immediate
        self.waiting: list[Callable[[], None]] = []
        self.results: list[tuple[str, Any]] = []

    def post(self, callback: Callable[[], None]) -> None:
        if self.immediate:
            callback()
        else:
            self.waiting.append(callback)

    def run(self) -> None:
        waiting, self.waiting = self.waiting, []
        for callback in waiting:
            callback()

    def done(self, tag: str) -> Callable[[Any], None]:
        return lambda value: self.results.append((tag, value))

    def error(self, tag: str) -> Callable[[BaseException], None]:
        return lambda exc: self.results.append((tag + "!", exc))


def certificate(serial: str, kind: str = "insured") -> dict[str, Any]:
    return {"serial": serial, "kind": kind, "issued_at": "2026-11-24T09:30:15+08:00", "content": {}}


def original(serial: str) -> Document:
    return Document(title=f"original {serial}", blocks=[Text(serial)])


def reprint_builder(doc_json: str, lang: str) -> Document:
    return Document(title=f"补打 {json.loads(doc_json)['serial']} {lang}", blocks=[])


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[PrintJournal]:
    with PrintJournal(tmp_path / "journal.sqlite3") as journal:
        yield journal


@pytest.fixture
def make_service(journal: PrintJournal) -> Iterator[Callable[..., PrintService]]:
    services: list[PrintService] = []

    def make(printer: FakePrinter, inbox: Inbox, **kwargs: Any) -> PrintService:
        kwargs.setdefault("reprint_builder", reprint_builder)
        kwargs.setdefault("recovery_poll", None)
        service = PrintService(printer, journal, inbox.post, terminal_id="T-1", paper_width_dots=384, **kwargs)
        services.append(service)
        return service

    yield make
    for service in services:
        service.stop(timeout=5)


def interrupted(journal: PrintJournal, serial: str, state: str = SENT, key: str | None = KEY) -> int:
    """A job as a power cut (SENT) or paper out (FAILED) leaves it."""
    job_id = journal.record_issued(serial, "insured", json.dumps(certificate(serial)), key)
    journal.mark_sent(job_id)
    if state == FAILED:
        journal.mark_failed(job_id, "during job: NO_PAPER")
    return job_id


def test_jobs_run_one_at_a_time_in_submission_order_on_the_service_thread(journal, make_service):
    printer, inbox = FakePrinter(), Inbox(immediate=False)
    service = make_service(printer, inbox)
    service.status(inbox.done("status"))
    for n in range(3):
        service.print_certificate(
            certificate(f"S-{n}"), original(f"S-{n}"), f"{KEY}{n}", inbox.done(f"S-{n}"), inbox.error(f"S-{n}")
        )
    service.run_staff("print_test_page", inbox.done("staff"), inbox.error("staff"))
    assert service.wait_idle(10) and service.idle
    assert inbox.results == []  # nothing reached the caller except through post
    inbox.run()

    assert [tag for tag, _ in inbox.results] == ["status", "S-0", "S-1", "S-2", "staff"]
    assert inbox.results[0][1] is PrinterStatus.READY and inbox.results[-1][1] == "test page printed"
    assert printer.titles() == ["original S-0", "original S-1", "original S-2", "打印测试页 Test page"]
    assert {thread for _, _, thread in printer.calls} == {THREAD_NAME} and printer.max_active == 1
    assert journal.counts() == {CONFIRMED: 3} and service.prints_done == 3  # the test page is no certificate
    assert service.last_status is PrinterStatus.READY


def test_a_failed_print_stays_pending(journal, make_service):
    printer, inbox = FakePrinter(), Inbox()
    service = make_service(printer, inbox)
    assert service.last_status is PrinterStatus.UNKNOWN  # not asked yet
    printer.fail_with = PrinterStatus.NO_PAPER
    service.print_certificate(certificate("S-1"), original("S-1"), KEY, inbox.done("ok"), inbox.error("print"))
    assert service.wait_idle(10)

    ((tag, exc),) = inbox.results
    assert tag == "print!" and isinstance(exc, PrinterError) and exc.status is PrinterStatus.NO_PAPER
    (job,) = journal.pending()
    assert job.serial == "S-1" and job.state == FAILED and job.is_reprint and job.request_key == KEY
    assert service.last_status is PrinterStatus.NO_PAPER and service.prints_done == 0


def test_the_same_request_after_an_interruption_reprints_the_same_serial(journal, make_service):
    printer, inbox = FakePrinter(), Inbox()
    service = make_service(printer, inbox)
    printer.fail_with = PrinterStatus.NO_PAPER
    service.print_certificate(certificate("S-1"), original("S-1"), KEY, inbox.done("ok"), inbox.error("print"))
    assert service.wait_idle(10)
    printer.fail_with = None

    # The resident asks again for the same certificate and period: no new serial, a 补打 of S-1.
    job = service.unfinished_for(KEY)
    assert job is not None and job.serial == "S-1" and service.unfinished_for("rk-other") is None
    service.reprint_job(job.job_id, "en", inbox.done("reprint"), inbox.error("reprint"))
    assert service.wait_idle(10)
    assert inbox.results[-1] == ("reprint", True)
    assert printer.titles() == ["补打 S-1 en"]
    assert journal.counts() == {CONFIRMED: 1} and service.unfinished_for(KEY) is None
    assert service.prints_done == 1

    # Asked once more (the job is done): nothing is printed again.
    service.reprint_job(job.job_id, "en", inbox.done("again"), inbox.error("again"))
    assert service.wait_idle(10) and inbox.results[-1] == ("again", False) and len(printer.printed) == 1


def test_a_retried_request_answered_with_the_same_serial_prints_as_reprint(journal, make_service):
    """The server's idempotency returns the certificate already sent once: it must not come out as an original."""
    interrupted(journal, "S-1", FAILED)
    printer, inbox = FakePrinter(), Inbox()
    service = make_service(printer, inbox)
    service.print_certificate(
        certificate("S-1"), original("S-1"), KEY, inbox.done("ok"), inbox.error("x"), lang="zh_TW"
    )
    assert service.wait_idle(10)
    assert printer.titles() == ["补打 S-1 zh_TW"] and journal.counts() == {CONFIRMED: 1}


def test_a_new_certificate_for_the_same_request_supersedes_the_pending_one(journal, make_service):
    old = interrupted(journal, "S-1", FAILED)
    printer, inbox = FakePrinter(), Inbox()
    service = make_service(printer, inbox)
    service.print_certificate(certificate("S-2"), original("S-2"), KEY, inbox.done("ok"), inbox.error("x"))
    assert service.wait_idle(10)
    assert printer.titles() == ["original S-2"] and journal.pending() == []
    assert journal.get(old).state == ABANDONED  # type: ignore[union-attr]


def test_staff_jobs_are_refused_while_a_resident_is_served_and_run_after(journal, make_service):
    interrupted(journal, "S-1", FAILED)
    printer, inbox = FakePrinter(), Inbox()
    service = make_service(printer, inbox)
    service.begin_resident()
    for kind in ("print_test_page", "reprint_pending", "clear_print_queue"):
        service.run_staff(kind, inbox.done(kind), inbox.error(kind))
    assert service.wait_idle(10)
    assert [tag for tag, _ in inbox.results] == ["print_test_page!", "reprint_pending!", "clear_print_queue!"]
    assert all(isinstance(exc, StaffJobDeferred) for _, exc in inbox.results)
    assert printer.calls == [] and len(journal.pending()) == 1

    service.end_resident()
    inbox.results.clear()
    service.run_staff("print_test_page", inbox.done("page"), inbox.error("page"))
    service.run_staff("reprint_pending", inbox.done("reprint"), inbox.error("reprint"))
    service.run_staff("nonsense", inbox.done("bad"), inbox.error("bad"))
    assert service.wait_idle(10)
    results = dict(inbox.results)  # an unknown kind is refused at once, ahead of the queued jobs
    assert results["page"] == "test page printed" and results["reprint"] == 1
    assert isinstance(results["bad!"], ValueError)
    assert printer.titles() == ["打印测试页 Test page", "补打 S-1 zh_CN"] and service.prints_done == 1


def test_a_staff_job_queued_before_the_resident_came_yields_to_the_resident(journal, make_service):
    printer, inbox = FakePrinter(), Inbox()
    printer.gate = threading.Event()
    service = make_service(printer, inbox)
    service.print_certificate(certificate("S-0"), original("S-0"), KEY, inbox.done("first"), inbox.error("first"))
    assert printer.started.wait(10)  # the print thread is busy with S-0
    service.run_staff("print_test_page", inbox.done("page"), inbox.error("page"))
    service.begin_resident()
    service.print_certificate(certificate("S-1"), original("S-1"), KEY + "1", inbox.done("resident"), inbox.error("r"))
    printer.gate.set()
    assert service.wait_idle(10)
    assert [tag for tag, _ in inbox.results] == ["first", "page!", "resident"]
    assert printer.titles() == ["original S-0", "original S-1"]


def test_clear_print_queue_abandons_pending_jobs(journal, make_service):
    interrupted(journal, "S-1", FAILED)
    interrupted(journal, "S-2", SENT, key=None)
    printer, inbox = FakePrinter(), Inbox()
    service = make_service(printer, inbox)
    service.run_staff("clear_print_queue", inbox.done("clear"), inbox.error("clear"))
    assert service.wait_idle(10) and inbox.results == [("clear", 2)]
    assert journal.pending() == [] and journal.counts() == {ABANDONED: 2} and printer.calls == []


def test_recovery_completes_a_sent_job_once_and_not_while_a_resident_is_served(journal, make_service):
    job_id = interrupted(journal, "S-1", SENT)  # the power went while it printed
    printer, inbox = FakePrinter(), Inbox()
    service = make_service(printer, inbox)
    service.begin_resident()
    service.recover_unfinished(inbox.done("recovered"))
    assert service.wait_idle(10)
    assert inbox.results == [("recovered", 0)] and printer.calls == []  # waits for the resident to go

    service.end_resident()
    assert service.wait_idle(10)
    assert printer.titles() == ["补打 S-1 zh_CN"] and journal.get(job_id).state == CONFIRMED  # type: ignore[union-attr]

    # Nothing prints it again: another resident leaving, the printer turning usable, another attempt.
    service.begin_resident()
    service.end_resident()
    printer.state = PrinterStatus.NO_PAPER
    service.status(inbox.done("status"))
    printer.state = PrinterStatus.READY
    service.status(inbox.done("status"))
    service.recover_unfinished(inbox.done("recovered"))
    assert service.wait_idle(10)
    assert len(printer.printed) == 1 and service.prints_done == 1 and inbox.results[-1] == ("recovered", 0)


def test_recovery_waits_until_the_printer_is_usable(journal, make_service):
    interrupted(journal, "S-1", FAILED)
    printer, inbox = FakePrinter(PrinterStatus.NO_PAPER), Inbox()
    service = make_service(printer, inbox)
    service.recover_unfinished(inbox.done("recovered"))
    assert service.wait_idle(10) and inbox.results == [("recovered", 0)] and printer.printed == []
    assert service.last_status is PrinterStatus.NO_PAPER

    printer.state = PrinterStatus.READY  # staff loaded paper; the menu asks the printer
    service.status(inbox.done("status"))
    assert service.wait_idle(10)
    assert printer.titles() == ["补打 S-1 zh_CN"] and journal.pending() == []


def test_recovery_poll_notices_the_paper_with_nobody_at_the_screen(journal, make_service):
    interrupted(journal, "S-1", SENT)
    printer, inbox = FakePrinter(PrinterStatus.COVER_OPEN), Inbox()
    service = make_service(printer, inbox, recovery_poll=0.05)
    service.recover_unfinished()
    printer.state = PrinterStatus.READY
    deadline = time.monotonic() + 10
    while journal.pending() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert service.wait_idle(10)
    assert printer.titles() == ["补打 S-1 zh_CN"] and journal.pending() == []
    assert all(thread == THREAD_NAME for _, _, thread in printer.calls)


def test_jobs_failing_during_the_run_are_not_printed_unasked(journal, make_service):
    """The resident has gone: their failed certificate waits for them (or staff), not in the tray."""
    printer, inbox = FakePrinter(), Inbox()
    service = make_service(printer, inbox)
    service.recover_unfinished()
    service.begin_resident()
    printer.fail_with = PrinterStatus.NO_PAPER
    service.print_certificate(certificate("S-1"), original("S-1"), KEY, inbox.done("ok"), inbox.error("print"))
    assert service.wait_idle(10)
    printer.fail_with = None
    service.end_resident()
    service.status(inbox.done("status"))
    assert service.wait_idle(10)
    assert printer.printed == [] and [job.serial for job in journal.pending()] == ["S-1"]


def test_a_slow_printer_and_stop_never_confirm_a_job_that_was_not_printed(journal, make_service):
    printer, inbox = FakePrinter(), Inbox()
    printer.gate = threading.Event()
    service = make_service(printer, inbox)
    service.print_certificate(certificate("S-1"), original("S-1"), KEY, inbox.done("S-1"), inbox.error("S-1"))
    service.print_certificate(certificate("S-2"), original("S-2"), KEY + "2", inbox.done("S-2"), inbox.error("S-2"))
    assert printer.started.wait(10)

    assert service.stop(timeout=0.1) is False  # S-1 is still on its way through the printer
    (job,) = journal.pending()
    assert job.serial == "S-1" and job.state == SENT and not service.idle
    service.print_certificate(certificate("S-3"), original("S-3"), KEY + "3", inbox.done("S-3"), inbox.error("S-3"))

    printer.gate.set()  # the sheet comes out after all
    assert service.wait_idle(10)
    assert printer.titles() == ["original S-1"]
    confirmed = [journal.get(n) for n in range(1, 10) if journal.get(n) is not None]
    assert [(j.serial, j.state) for j in confirmed] == [("S-1", CONFIRMED)]  # S-2 and S-3 never recorded
    tags = {tag: value for tag, value in inbox.results}
    assert tags["S-1"] == 1 and isinstance(tags["S-2!"], PrintServiceStopped)
    assert isinstance(tags["S-3!"], PrintServiceStopped)


def test_stop_during_a_print_that_then_fails_leaves_it_pending(journal, make_service):
    printer, inbox = FakePrinter(), Inbox()
    printer.gate, printer.fail_with = threading.Event(), PrinterStatus.OFFLINE
    service = make_service(printer, inbox)
    service.print_certificate(certificate("S-1"), original("S-1"), KEY, inbox.done("S-1"), inbox.error("S-1"))
    assert printer.started.wait(10)
    assert service.stop(timeout=0.05) is False
    printer.gate.set()
    assert service.wait_idle(10)
    (job,) = journal.pending()
    assert job.state == FAILED and journal.counts().get(CONFIRMED) is None


def test_prints_done_counts_from_many_threads(journal, make_service):
    printer, inbox = FakePrinter(), Inbox()
    service = make_service(printer, inbox)
    threads = [
        threading.Thread(
            target=lambda n=n: service.print_certificate(
                certificate(f"S-{n}"), original(f"S-{n}"), f"{KEY}{n}", inbox.done("ok"), inbox.error("x")
            )
        )
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert service.wait_idle(10)
    assert service.prints_done == 8 and printer.max_active == 1 and journal.counts() == {CONFIRMED: 8}


def test_an_older_journal_file_gains_the_request_key_column(tmp_path: Path):
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as db:  # the schema before request_key, with a job a crash left
        db.executescript(
            """CREATE TABLE print_jobs (job_id INTEGER PRIMARY KEY AUTOINCREMENT, serial TEXT NOT NULL,
            kind TEXT NOT NULL, state TEXT NOT NULL, doc_json TEXT, attempts INTEGER NOT NULL DEFAULT 0,
            reason TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            INSERT INTO print_jobs(serial, kind, state, doc_json, attempts, created_at, updated_at)
            VALUES ('OLD-1', 'insured', 'sent', '{"serial": "OLD-1"}', 1, '2026-01-01', '2026-01-01');"""
        )
    db.close()
    for _ in range(2):  # opening twice: the migration runs once
        with PrintJournal(path) as journal:
            (job,) = journal.pending()
            assert job.serial == "OLD-1" and job.request_key is None
    with PrintJournal(path) as journal:
        job_id = journal.record_issued("NEW-1", "payment", "{}", request_key=KEY)
        assert journal.unfinished_for(KEY).job_id == job_id  # type: ignore[union-attr]
        journal.mark_confirmed(job_id)
        assert journal.unfinished_for(KEY) is None and journal.get(job_id).request_key is None  # type: ignore[union-attr]


def test_a_receipt_prints_on_the_service_thread_and_is_not_journalled(journal, make_service):
    printer, inbox = FakePrinter(), Inbox()
    service = make_service(printer, inbox)
    receipt = {"number": "SQ000123", "type_name": "个人资料修改", "status": "已提交", "person": {"name": "张建国"}}
    service.print_receipt(receipt, "zh_CN", inbox.done("receipt"), inbox.error("receipt"))
    assert service.wait_idle(5)
    assert inbox.results == [("receipt", None)]
    assert len(printer.printed) == 1 and journal.pending() == [] and service.prints_done == 1
