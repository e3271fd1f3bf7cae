"""Print journal: issued → sent → confirmed, failures and crashes leave a reprintable job."""

from __future__ import annotations

import datetime as dt
import json
import stat
import subprocess
import sys
from pathlib import Path

from kiosk.journal import CONFIRMED, FAILED, SENT, PrintJournal
from kiosk.layouts import reprint_document
from tests.drivers.printer.samples import make_certificate


def cert_json() -> str:
    return json.dumps(make_certificate("payment"), ensure_ascii=False)


def test_lifecycle(tmp_path: Path) -> None:
    with PrintJournal(tmp_path / "journal.sqlite3") as journal:
        job_id = journal.record_issued("DG1", "payment", cert_json())
        assert [job.job_id for job in journal.pending()] == [job_id]
        assert not journal.get(job_id).is_reprint  # type: ignore[union-attr]
        journal.mark_sent(job_id)
        assert journal.get(job_id).state == SENT  # type: ignore[union-attr]
        journal.mark_confirmed(job_id)
        job = journal.get(job_id)
        assert job is not None and job.state == CONFIRMED and job.doc_json is None  # content dropped at once
        assert journal.pending() == [] and journal.counts() == {CONFIRMED: 1}


def test_paper_out_leaves_a_reprint_of_the_same_serial(tmp_path: Path) -> None:
    with PrintJournal(tmp_path / "j.db") as journal:
        job_id = journal.record_issued("DG2", "payment", cert_json())
        journal.mark_sent(job_id)
        journal.mark_failed(job_id, "during job: NO_PAPER")
        (job,) = journal.pending()
        assert job.state == FAILED and job.reason == "during job: NO_PAPER" and job.is_reprint
        doc = reprint_document(job.doc_json or "")
        assert "补打 / REPRINT" in json.dumps(doc.to_json(), ensure_ascii=False)
        # Re-recording the same serial (a retried issue) does not make a second job.
        assert journal.record_issued("DG2", "payment", cert_json()) == job_id
        assert len(journal.pending()) == 1


def test_crash_after_send_survives_reopen(tmp_path: Path) -> None:
    """A process killed between "sent" and "confirmed" leaves the job pending after restart."""
    path = tmp_path / "journal.sqlite3"
    script = (
        "import sys, os; from kiosk.journal import PrintJournal;"
        "j = PrintJournal(sys.argv[1]); i = j.record_issued('DG3', 'insured', '{\"serial\": \"DG3\"}');"
        "j.mark_sent(i); os._exit(9)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 9, result.stderr
    with PrintJournal(path) as journal:
        (job,) = journal.pending()
        assert job.serial == "DG3" and job.state == SENT and job.is_reprint and job.doc_json


def test_purge_removes_old_confirmed_only(tmp_path: Path) -> None:
    with PrintJournal(tmp_path / "j.db", retention_days=30) as journal:
        done = journal.record_issued("A", "insured", "{}")
        journal.mark_confirmed(done)
        waiting = journal.record_issued("B", "insured", "{}")
        assert journal.purge(now=dt.datetime.now(dt.UTC)) == 0
        assert journal.purge(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=31)) == 1
        assert journal.get(done) is None and journal.get(waiting) is not None


def test_abandoned_job_leaves_pending(tmp_path: Path) -> None:
    with PrintJournal(tmp_path / "j.db") as journal:
        job_id = journal.record_issued("C", "rights", "{}")
        journal.mark_abandoned(job_id, "staff")
        assert journal.pending() == [] and journal.get(job_id).doc_json is None  # type: ignore[union-attr]


def test_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "journal.sqlite3"
    PrintJournal(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
