"""End to end: certificate issued by the embedded gateway, printed on the virtual network printer,
decoded back to Chinese text, its QR URL confirmed genuine by the server; paper out → journal reprint."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests

from drivers.printer.connectors import EscPosPrinter
from drivers.printer.decode import decode
from drivers.printer.factory import BuiltPrinter, create_printer
from drivers.printer.preview import render_preview
from kiosk.backend import BackendClient
from kiosk.errors import BackendRejected, PrinterError
from kiosk.journal import PrintJournal, reprint_pending
from kiosk.layouts import build_certificate_document
from kiosk.printer_status import PrinterStatus
from server.embedded import EmbeddedServer, start_embedded_server
from tests.card_holder import sign_in
from tests.drivers.printer.samples import printer_config


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = start_embedded_server(tmp_path_factory.mktemp("gateway"), persons=4, seed=7)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def built() -> Iterator[BuiltPrinter]:
    built = create_printer(printer_config(kind="virtual", paper_width_dots=576, encoding="gb18030", status_timeout=0.5))
    assert isinstance(built.printer, EscPosPrinter) and built.virtual is not None
    try:
        yield built
    finally:
        built.virtual.stop()


def issue(gateway: EmbeddedServer, kind: str) -> tuple[BackendClient, str, dict]:
    client = BackendClient(gateway.url, gateway.terminal_token)
    for person in gateway.demo_people():
        try:
            session = sign_in(client, person)
        except BackendRejected:
            continue  # a demo card that is reported lost
        cert = client.issue_certificate(session["session_id"], kind)
        return client, session["session_id"], cert
    raise AssertionError("no demo resident could open a session")


def test_certificate_prints_decodes_and_verifies(gateway: EmbeddedServer, built: BuiltPrinter) -> None:
    printer, virtual = built
    client, _, cert = issue(gateway, "payment")
    doc = build_certificate_document(cert)
    printer.print_document(doc)
    assert virtual.wait_for_jobs(1)
    job = decode(virtual.received)
    person = cert["content"]["person"]
    assert cert["content"]["title"] in job.lines
    assert person["name"] in job.text and person["ssn"] in job.text
    assert cert["serial"] in job.text and cert["verification_code"] in job.text
    assert job.qr_codes == [cert["verify_url"]] and job.raster_images == 0
    # The QR the resident scans (decoded from the preview image) leads to the server's genuine answer.
    # OpenCV's classic detector misses ~8 % of whole-receipt images (CJK strokes make false finder
    # patterns); the ArUco-based detector found every one of 60 generated receipts.
    scanned, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(np.array(render_preview(doc, 576).convert("L")))
    assert scanned == cert["verify_url"]
    match = re.search(r"/verify/([A-Za-z0-9]+)\?code=([A-Za-z0-9]+)", scanned)
    assert match is not None
    assert client.verify_certificate(match.group(1), match.group(2))["genuine"] is True
    page = requests.get(scanned, timeout=10)
    assert page.status_code == 200 and cert["serial"] in page.text
    assert client.verify_certificate(match.group(1), "WRONG1")["genuine"] is False


def test_paper_out_mid_job_then_reprint_same_serial(
    gateway: EmbeddedServer, built: BuiltPrinter, tmp_path: Path
) -> None:
    printer, virtual = built
    client, session_id, cert = issue(gateway, "insured")
    with PrintJournal(tmp_path / "journal.sqlite3") as journal:
        job_id = journal.record_issued(cert["serial"], cert["kind"], json.dumps(cert, ensure_ascii=False))
        journal.mark_sent(job_id)
        virtual.out_of_paper_after(100)
        with pytest.raises(PrinterError) as info:
            printer.print_document(build_certificate_document(cert))
        journal.mark_failed(job_id, info.value.detail)
        assert info.value.status is PrinterStatus.NO_PAPER and [j.serial for j in journal.pending()] == [cert["serial"]]
        with pytest.raises(PrinterError):  # still no paper: the job stays pending
            reprint_pending(journal, printer)
        virtual.set_paper("ok")
        done = reprint_pending(journal, printer, fetch=lambda job: client.reprint_certificate(session_id, job.serial))
        assert done == [job_id] and journal.pending() == []
    reprinted = decode(virtual.jobs[-1].data)
    assert "补打 / REPRINT" in reprinted.lines and cert["serial"] in reprinted.text
    assert reprinted.qr_codes == [cert["verify_url"]]
    assert client.verify_certificate(cert["serial"], cert["verification_code"])["reprint_count"] == 1
