"""The staff command that reprints what paper-out or a power cut left unfinished."""

import json

from common.fleet_protocol import COMMAND_KINDS
from kiosk.fleet_client import CommandDispatcher
from kiosk.journal import PrintJournal
from tests.drivers.printer.samples import make_certificate


class RecordingPrinter:
    def __init__(self) -> None:
        self.documents = []

    def print_document(self, document) -> None:
        self.documents.append(document)


def test_reprint_pending_command_prints_each_unfinished_job_once(tmp_path):
    from kiosk.journal import reprint_pending

    assert "reprint_pending" in COMMAND_KINDS
    printer = RecordingPrinter()
    with PrintJournal(tmp_path / "journal.sqlite3") as journal:
        for serial in ("S-1", "S-2"):
            cert = make_certificate("insured", 0) | {"serial": serial}
            job = journal.record_issued(serial, "insured", json.dumps(cert, ensure_ascii=False))
            journal.mark_sent(job)
            journal.mark_failed(job, "paper out")
        dispatcher = CommandDispatcher.for_kiosk(
            lambda on: None,
            lambda: None,
            lambda: "test page",
            lambda: 0,
            lambda: len(reprint_pending(journal, printer)),
        )
        assert dispatcher.run("reprint_pending") == (True, "2 jobs reprinted")
        assert journal.pending() == []
        assert dispatcher.run("reprint_pending") == (True, "0 jobs reprinted")
    assert len(printer.documents) == 2
    assert all("补打" in json.dumps(doc.to_json(), ensure_ascii=False) for doc in printer.documents)
