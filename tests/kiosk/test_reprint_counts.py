"""Staff reprints (the fleet command ``reprint_pending``) count in the heartbeat's ``prints`` like
the resident's printouts: through the real wiring (cli.fleet_wiring.start_agent), the real session
core, print service, journal and heartbeat builder; only the printer, the card, the backend and
the agent's network start are stood in."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

import kiosk.fleet_client
from cli.fleet_wiring import start_agent
from kiosk.config import load_config
from kiosk.controller import KioskController
from kiosk.errors import PrinterError
from kiosk.heartbeat import HeartbeatBuilder
from kiosk.journal import PrintJournal, reprint_pending
from kiosk.print_service import PrintService
from kiosk.printer_status import PrinterStatus
from kiosk.worker import InlineWorker
from tests.drivers.printer.samples import make_certificate
from tests.kiosk.fakes import FakeBackend, FakeCardPort


class CountingPrinter:
    """Prints until ``paper`` sheets are used, then fails as a printer out of paper does."""

    def __init__(self, paper: int = 100) -> None:
        self.paper = paper
        self.documents: list[Any] = []

    def status(self) -> PrinterStatus:
        return PrinterStatus.READY if self.paper > 0 else PrinterStatus.NO_PAPER

    def print_document(self, document: Any) -> None:
        if self.paper <= 0:
            raise PrinterError(PrinterStatus.NO_PAPER, "paper out")
        self.paper -= 1
        self.documents.append(document)


def unfinished(journal: PrintJournal, *serials: str) -> None:
    """Jobs that paper-out left pending, as the print service leaves them."""
    for serial in serials:
        cert = make_certificate("insured", 0) | {"serial": serial}
        job = journal.record_issued(serial, "insured", json.dumps(cert, ensure_ascii=False))
        journal.mark_sent(job)
        journal.mark_failed(job, "paper out")


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """Run start_agent over a real core and print service; yields a function returning
    (controller, print service, dispatcher, heartbeat builder over the wiring's totals)."""
    services = []

    def build(journal: PrintJournal, printer: CountingPrinter) -> tuple:
        captured: dict[str, Any] = {}

        def fake_start(data_dir, build, **kwargs):
            captured.update(kwargs)
            return "agent"

        monkeypatch.setattr(kiosk.fleet_client, "start_fleet_agent", fake_start)
        config = load_config(overrides=[{"terminal": {"data_dir": str(tmp_path / "kiosk")}}])
        devices = SimpleNamespace(printer=printer, card_reader=SimpleNamespace(name="sim", list_readers=lambda: []))
        runtime = SimpleNamespace(
            config=config, require_devices=lambda: (devices, journal), build=lambda overlay: config
        )
        printing = PrintService(printer, journal, lambda fn: fn(), recovery_poll=None)
        services.append(printing)
        controller = KioskController(config, InlineWorker(), FakeCardPort(), FakeBackend(), printing, lambda doc: b"")
        monitor = SimpleNamespace(reader=devices.card_reader, last_error=None)
        assert start_agent(runtime, controller, printing, monitor, post=lambda fn: fn()) == "agent"
        builder = HeartbeatBuilder("test", {}, totals=captured["totals"])
        return controller, printing, captured["dispatcher"], builder

    yield build
    for printing in services:
        printing.stop()


def resident_prints_one(printing: PrintService) -> None:
    done: list[Any] = []
    cert = make_certificate("insured", 0) | {"serial": "R-1"}
    printing.print_certificate(cert, "document", "request-1", done.append, done.append)
    printing.wait_idle(5)


def test_staff_reprints_count_in_the_heartbeat_like_the_residents(wire, tmp_path):
    printer = CountingPrinter()
    with PrintJournal(tmp_path / "journal.sqlite3") as journal:
        controller, printing, dispatcher, builder = wire(journal, printer)
        controller.sessions_started = 1
        resident_prints_one(printing)
        beat = builder.build(None)
        assert (beat["sessions"], beat["prints"]) == (1, 1)
        unfinished(journal, "S-1", "S-2")
        assert dispatcher.run("reprint_pending") == (True, "2 jobs reprinted")
        beat = builder.build(None)
        assert (beat["sessions"], beat["prints"]) == (0, 2)
        assert dispatcher.run("reprint_pending") == (True, "0 jobs reprinted")
        assert builder.build(None)["prints"] == 0
    assert len(printer.documents) == 3


def test_reprints_before_a_failure_are_counted_and_the_rest_stay_pending(wire, tmp_path):
    printer = CountingPrinter(paper=1)
    with PrintJournal(tmp_path / "journal.sqlite3") as journal:
        _controller, _printing, dispatcher, builder = wire(journal, printer)
        unfinished(journal, "S-1", "S-2", "S-3")
        ok, result = dispatcher.run("reprint_pending")
        assert not ok and result.startswith("printer.no_paper")
        assert builder.build(None)["prints"] == 1  # the one that came out of the printer
        assert [job.serial for job in journal.pending()] == ["S-2", "S-3"]
        printer.paper = 5
        assert dispatcher.run("reprint_pending") == (True, "2 jobs reprinted")
        assert builder.build(None)["prints"] == 2


def test_staff_commands_wait_while_a_resident_is_served(wire, tmp_path, monkeypatch):
    import cli.fleet_wiring

    monkeypatch.setattr(cli.fleet_wiring, "ANSWER_WAIT", 0.2)
    printer = CountingPrinter()
    with PrintJournal(tmp_path / "journal.sqlite3") as journal:
        controller, printing, dispatcher, _builder = wire(journal, printer)
        controller.card_inserted()  # a resident is at the terminal
        assert not controller.is_idle()
        assert dispatcher.run("print_test_page") == (True, "queued: runs when no resident is being served")
        assert printer.documents == []
        controller.finish()
        controller.card_removed()
        printing.wait_idle(5)
        assert len(printer.documents) == 1  # the test page, once the resident had gone


def test_an_undelivered_beat_carries_the_reprints_into_the_next(wire, tmp_path):
    with PrintJournal(tmp_path / "journal.sqlite3") as journal:
        _controller, _printing, dispatcher, builder = wire(journal, CountingPrinter())
        unfinished(journal, "S-1")
        dispatcher.run("reprint_pending")
        lost = builder.build(None)
        builder.rollback_counts(lost)
        assert builder.build(None)["prints"] == 1


def test_reprint_pending_reports_each_confirmed_job(tmp_path):
    printer = CountingPrinter(paper=2)
    printed: list[str] = []
    with PrintJournal(tmp_path / "journal.sqlite3") as journal:
        unfinished(journal, "S-1", "S-2", "S-3")
        with pytest.raises(PrinterError):
            reprint_pending(journal, printer, on_printed=lambda job: printed.append(job.serial))
        assert printed == ["S-1", "S-2"]
