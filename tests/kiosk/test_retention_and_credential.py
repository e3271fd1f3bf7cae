"""Residents' data in the print journal is purged on a schedule by the print service (at start and
daily), and the terminal credential survives a power cut during enrolment (atomic write)."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from kiosk.errors import ConfigError
from kiosk.fleet_client import CREDENTIAL_FILE, load_credential, store_credential
from kiosk.journal import ABANDONED, PrintJournal
from kiosk.print_service import PrintService
from kiosk.printer_status import PrinterStatus

PERSONAL = json.dumps({"person": {"name": "张三丰", "ssn": "110101199003077777"}}, ensure_ascii=False)


class IdlePrinter:
    def status(self) -> PrinterStatus:
        return PrinterStatus.READY

    def print_document(self, doc: object) -> None:
        raise AssertionError("nothing is printed here")


def _age(journal: PrintJournal, job_id: int, days: int) -> None:
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat(timespec="seconds")
    journal._db.execute("UPDATE print_jobs SET updated_at = ? WHERE job_id = ?", (when, job_id))


def _wait(predicate, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_purge_expires_old_unprinted_content(tmp_path: Path) -> None:
    with PrintJournal(tmp_path / "j.db", retention_days=30) as journal:
        stale = journal.record_issued("S1", "insured", PERSONAL, request_key="rk-1")
        fresh = journal.record_issued("S2", "insured", PERSONAL, request_key="rk-2")
        _age(journal, stale, 31)
        journal.purge()
        expired = journal.get(stale)
        assert expired is not None and expired.state == ABANDONED
        assert expired.doc_json is None and expired.request_key is None
        assert journal.get(fresh).doc_json == PERSONAL  # type: ignore[union-attr]
        assert [job.job_id for job in journal.pending()] == [fresh]


def test_the_print_service_purges_at_start_and_then_periodically(tmp_path: Path) -> None:
    journal = PrintJournal(tmp_path / "j.db", retention_days=30)
    old = journal.record_issued("OLD", "insured", PERSONAL)
    journal.mark_confirmed(old)
    _age(journal, old, 40)
    stale = journal.record_issued("STALE", "payment", PERSONAL)
    _age(journal, stale, 40)
    service = PrintService(IdlePrinter(), journal, lambda cb: cb(), recovery_poll=None, purge_every=0.05)
    try:
        assert _wait(lambda: journal.get(old) is None), "not purged at start"
        assert journal.get(stale).doc_json is None  # type: ignore[union-attr]
        later = journal.record_issued("LATER", "insured", PERSONAL)
        journal.mark_confirmed(later)
        _age(journal, later, 40)
        assert _wait(lambda: journal.get(later) is None), "not purged again"
        assert service.purges >= 2
    finally:
        service.stop()
        journal.close()


def test_the_default_schedule_is_daily_and_on_the_print_thread(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    journal = PrintJournal(tmp_path / "j.db")
    threads: list[str] = []
    real = journal.purge
    monkeypatch.setattr(journal, "purge", lambda: threads.append(threading.current_thread().name) or real())
    service = PrintService(IdlePrinter(), journal, lambda cb: cb(), recovery_poll=None)
    try:
        assert _wait(lambda: len(threads) == 1)
        assert threads == ["print-service"]
        assert 0 < service._wait_seconds() <= 24 * 3600  # type: ignore[operator]
    finally:
        service.stop()
        journal.close()


def test_credential_write_is_atomic(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store_credential(tmp_path, "T-OLD", "https://gw.example", "old-token")
    real_fsync = os.fsync

    def power_cut(fd: int) -> None:
        raise OSError("power cut")

    # The power goes while the new credential is being written: the old one is still whole.
    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(OSError):
        store_credential(tmp_path, "T-NEW", "https://gw.example", "new-token")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert load_credential(tmp_path) == {"terminal_id": "T-OLD", "server": "https://gw.example", "token": "old-token"}
    assert [p.name for p in tmp_path.iterdir()] == [CREDENTIAL_FILE]  # no temporary file left behind

    # Or just before the rename.
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("power cut")))
    with pytest.raises(OSError):
        store_credential(tmp_path, "T-NEW", "https://gw.example", "new-token")
    monkeypatch.setattr(os, "replace", real_replace)
    assert load_credential(tmp_path)["token"] == "old-token"  # type: ignore[index]

    path = store_credential(tmp_path, "T-NEW", "https://gw.example", "new-token")
    assert load_credential(tmp_path)["token"] == "new-token"  # type: ignore[index]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_truncated_credential_is_a_clear_config_error(tmp_path: Path) -> None:
    (tmp_path / CREDENTIAL_FILE).write_text("", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_credential(tmp_path)
