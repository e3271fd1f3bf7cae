"""One device report for the heartbeat and the doctor, built from what each device's owner saw."""

from __future__ import annotations

from types import SimpleNamespace

from cli.doctor import card_check, printer_check
from kiosk.device_report import card_reader_report, printer_report
from kiosk.errors import CardError, CardErrorKind
from kiosk.printer_status import PrinterStatus


def test_a_lost_reader_is_offline_with_its_fix_and_a_working_one_is_ok():
    lost = card_reader_report("ACS ACR39U", CardError(CardErrorKind.NO_READER, "no reader matches"))
    assert (lost.status, lost.ok) == ("offline", False)
    assert "card.reader" in lost.fix and lost.to_json() == {
        "status": "offline",
        "detail": "no_reader: no reader matches",
    }
    assert card_reader_report("ACS ACR39U", None).ok


def test_the_doctor_and_the_heartbeat_give_the_same_fix():
    for status in (PrinterStatus.NO_PAPER, PrinterStatus.COVER_OPEN, PrinterStatus.PAPER_NEAR_END):
        report = printer_report(status)
        check = printer_check(SimpleNamespace(status=lambda status=status: status))
        assert check.fix == report.fix != ""

    def broken_reader():
        raise CardError(CardErrorKind.SERVICE, "pcscd not running")

    reader = SimpleNamespace(name="ACS", list_readers=broken_reader, card_present=lambda: False)
    check = card_check(reader)
    assert not check.ok
    assert check.fix == card_reader_report("ACS", CardError(CardErrorKind.SERVICE, "x")).fix
