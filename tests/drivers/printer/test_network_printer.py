"""The virtual network printer driven through the real python-escpos Network connector."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from escpos.printer import Network

from drivers.printer.base import PrinterStatus
from drivers.printer.connectors import EscPosPrinter, build_connector, parse_status
from drivers.printer.decode import decode
from drivers.printer.encoder import EscPosEncoder
from drivers.printer.factory import create_printer
from drivers.printer.virtual_printer import VirtualNetworkPrinter
from kiosk.documents import Document, Heading, QRCode, Text
from kiosk.errors import ConfigError, PrinterError
from kiosk.layouts import build_certificate_document
from tests.drivers.printer.samples import SSN, VERIFY_URL, make_certificate, printer_config

TIMEOUT = 0.5


@pytest.fixture()
def virtual() -> Iterator[VirtualNetworkPrinter]:
    with VirtualNetworkPrinter() as printer:
        yield printer


@pytest.fixture()
def printer(virtual: VirtualNetworkPrinter) -> EscPosPrinter:
    cfg = {"kind": "network", "host": virtual.host, "port": virtual.port}
    return EscPosPrinter(lambda: build_connector(cfg, TIMEOUT), EscPosEncoder(576), status_timeout=TIMEOUT)


def small_doc() -> Document:
    return Document("t", [Heading("参保证明"), Text("姓名：张三"), QRCode(VERIFY_URL)])


def test_connector_is_the_real_python_escpos_network(virtual: VirtualNetworkPrinter) -> None:
    connector = build_connector({"kind": "network", "host": virtual.host, "port": virtual.port}, TIMEOUT)
    assert isinstance(connector, Network) and connector.timeout == TIMEOUT  # never the 60 s default


def test_print_ready_printer(printer: EscPosPrinter, virtual: VirtualNetworkPrinter) -> None:
    assert printer.status() is PrinterStatus.READY
    printer.print_document(small_doc())
    assert virtual.wait_for_jobs(1)
    job = decode(virtual.received)
    assert job.lines[:2] == ["参保证明", "姓名：张三"] and job.qr_codes == [VERIFY_URL]
    assert virtual.jobs[0].complete
    assert virtual.received == printer.encode(small_doc())  # status queries are not print data


def test_certificate_round_trip(printer: EscPosPrinter, virtual: VirtualNetworkPrinter) -> None:
    printer.print_document(build_certificate_document(make_certificate("payment", months=12)))
    assert virtual.wait_for_jobs(1)
    job = decode(virtual.received)
    assert "社会保险缴费凭证" in job.lines
    assert f"社会保障号码：{SSN}" in job.text
    assert "2025-06  职工养老 5,284.00   422.72       792.60" in job.lines
    assert job.qr_codes == [VERIFY_URL] and job.raster_images == 0 and job.cuts == 1


def test_paper_near_end_still_prints(printer: EscPosPrinter, virtual: VirtualNetworkPrinter) -> None:
    virtual.set_paper("near_end")
    assert printer.status() is PrinterStatus.PAPER_NEAR_END and printer.status().usable
    printer.print_document(small_doc())
    assert virtual.wait_for_jobs(1)


def test_paper_out_before_job_sends_nothing(printer: EscPosPrinter, virtual: VirtualNetworkPrinter) -> None:
    virtual.set_paper("out")
    with pytest.raises(PrinterError) as info:
        printer.print_document(small_doc())
    assert info.value.status is PrinterStatus.NO_PAPER and info.value.message_key == "printer.no_paper"
    assert virtual.jobs == []


def test_paper_out_mid_job_is_reported(printer: EscPosPrinter, virtual: VirtualNetworkPrinter) -> None:
    virtual.out_of_paper_after(40)
    with pytest.raises(PrinterError) as info:
        printer.print_document(build_certificate_document(make_certificate("insured")))
    assert info.value.status is PrinterStatus.NO_PAPER
    assert virtual.wait_for_jobs(1) and not virtual.jobs[0].complete


def test_cover_open(printer: EscPosPrinter, virtual: VirtualNetworkPrinter) -> None:
    virtual.cover_open(True)
    assert printer.status() is PrinterStatus.COVER_OPEN
    with pytest.raises(PrinterError) as info:
        printer.print_document(small_doc())
    assert info.value.message_key == "printer.cover_open"
    virtual.cover_open(False)
    assert printer.status() is PrinterStatus.READY


def test_mute_printer_is_offline_within_the_timeout(printer: EscPosPrinter, virtual: VirtualNetworkPrinter) -> None:
    virtual.mute(True)
    started = time.monotonic()
    assert printer.status() is PrinterStatus.OFFLINE
    assert time.monotonic() - started < TIMEOUT * 3
    with pytest.raises(PrinterError) as info:
        printer.print_document(small_doc())
    assert info.value.status is PrinterStatus.OFFLINE


def test_nobody_listening_is_offline() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cfg = {"kind": "network", "host": "127.0.0.1", "port": port}
    printer = EscPosPrinter(lambda: build_connector(cfg, TIMEOUT), EscPosEncoder(384), status_timeout=TIMEOUT)
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterError):
        printer.print_bytes(b"x")


def test_status_bytes_inside_image_data_are_not_queries(virtual: VirtualNetworkPrinter) -> None:
    raster = b"\x1dv0\x00\x02\x00\x02\x00" + b"\x10\x04\x01\x00"  # image data that looks like DLE EOT 1
    with socket.create_connection((virtual.host, virtual.port)) as sock:
        sock.sendall(raster)
    assert virtual.wait_for_jobs(1)
    assert virtual.jobs[0].status_queries == [] and virtual.received == raster


@pytest.mark.parametrize(
    "answers,expected",
    [
        ((0x12, 0x12, 0x12), PrinterStatus.READY),
        ((0x12, 0x12, 0x1E), PrinterStatus.PAPER_NEAR_END),
        ((0x1A, 0x32, 0x7E), PrinterStatus.NO_PAPER),
        ((0x1A, 0x16, 0x12), PrinterStatus.COVER_OPEN),
        ((0x1A, 0x52, 0x12), PrinterStatus.ERROR),
        ((0x1A, 0x12, 0x12), PrinterStatus.OFFLINE),
        ((None, None, None), PrinterStatus.OFFLINE),
        ((0x12, None, None), PrinterStatus.READY),
        ((0xFF, 0x12, 0x12), PrinterStatus.ERROR),
    ],
)
def test_parse_status(answers: tuple, expected: PrinterStatus) -> None:
    assert parse_status(*answers) is expected


def test_factory_virtual_exposes_the_simulator() -> None:
    printer, virtual = create_printer(
        printer_config(kind="virtual", paper_width_dots=384, encoding="gbk", status_timeout=TIMEOUT)
    )
    try:
        assert isinstance(printer, EscPosPrinter) and virtual is not None
        assert printer.status() is PrinterStatus.READY
        virtual.set_paper("out")
        assert printer.status() is PrinterStatus.NO_PAPER
    finally:
        virtual.stop()


def test_factory_file_printer_writes_bytes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out.bin"
    printer, virtual = create_printer(printer_config(kind="file", path=str(out)))
    assert virtual is None
    assert printer.status() is PrinterStatus.READY
    printer.print_document(small_doc())
    assert out.read_bytes() == printer.encode(small_doc())


def test_factory_builds_usb_and_serial_connectors_without_opening() -> None:
    from escpos.printer import Serial, Usb

    assert isinstance(build_connector({"kind": "usb", "vendor_id": 0x0416, "product_id": 0x5011}, 1.0), Usb)
    assert isinstance(build_connector({"kind": "serial", "device": "/dev/null", "baudrate": 115200}, 1.0), Serial)


@pytest.mark.parametrize(
    "cfg",
    [
        {"kind": "bluetooth"},
        {"paper_width_dots": 500},
        {"encoding": "big5"},
        {"qr_mode": "svg"},
        {"status_timeout": 60},
    ],
)
def test_printer_config_is_refused_by_the_one_schema(cfg: dict) -> None:
    with pytest.raises(ConfigError):
        printer_config(**cfg)


def test_settle_catches_paper_running_out_after_the_bytes_were_accepted(
    printer: EscPosPrinter, virtual: VirtualNetworkPrinter
) -> None:
    """A real printer accepts the job into its buffer and runs out of paper a moment later."""
    import threading

    printer.settle_seconds, printer.settle_poll = 2.0, 0.05
    timer = threading.Timer(0.3, virtual.set_paper, args=("out",))
    timer.start()
    try:
        with pytest.raises(PrinterError) as info:
            printer.print_document(small_doc())
    finally:
        timer.cancel()
    assert info.value.status is PrinterStatus.NO_PAPER


def test_health_reports_last_status(printer: EscPosPrinter, virtual: VirtualNetworkPrinter) -> None:
    assert printer.health()["status"] is None
    virtual.cover_open(True)
    printer.status()
    health = printer.health()
    assert health["status"] == "COVER_OPEN" and health["usable"] is False and health["checked_at"]
