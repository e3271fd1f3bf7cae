"""PrinterStatus is the kiosk's: drivers re-export it, PrinterError carries it, the heartbeat and
the doctor compare members, and every status has words for the resident."""

from __future__ import annotations

from typing import Any

import pytest

from cli.doctor import printer_check
from kiosk.device_report import printer_report
from kiosk.errors import PrinterError
from kiosk.i18n import LANGUAGES, tr
from kiosk.printer_status import PrinterStatus


def test_usable_and_reason_keys():
    assert {s for s in PrinterStatus if s.usable} == {
        PrinterStatus.READY,
        PrinterStatus.PAPER_NEAR_END,
        PrinterStatus.UNKNOWN,  # not asked yet: services are offered, the driver checks before printing
    }
    assert {s for s in PrinterStatus if s.checked_usable} == {PrinterStatus.READY, PrinterStatus.PAPER_NEAR_END}
    assert PrinterStatus.NO_PAPER.reason_key == "printer.no_paper"
    assert PrinterStatus.UNKNOWN.reason_key == "printer.unknown"


def test_every_status_has_words_in_every_language():
    fallback = {lang: tr("error.generic", lang) for lang in LANGUAGES}
    for status in PrinterStatus:
        for lang in LANGUAGES:
            assert tr(status.reason_key, lang) != fallback[lang], (status, lang)
    for lang in LANGUAGES:
        assert tr("print.staff_deferred", lang) != fallback[lang]


@pytest.mark.parametrize(
    "value,expected",
    [
        (PrinterStatus.COVER_OPEN, PrinterStatus.COVER_OPEN),
        ("NO_PAPER", PrinterStatus.NO_PAPER),
        ("paper_near_end", PrinterStatus.PAPER_NEAR_END),
        ("jammed", PrinterStatus.ERROR),  # never read an unknown word as a usable printer
    ],
)
def test_parse(value: Any, expected: PrinterStatus) -> None:
    assert PrinterStatus.parse(value) is expected


def test_drivers_use_the_kiosks_enum():
    from drivers.printer.base import PrinterStatus as DriverStatus

    assert DriverStatus is PrinterStatus


def test_printer_error_carries_the_member():
    error = PrinterError(PrinterStatus.NO_PAPER, "during job: NO_PAPER")
    assert error.status is PrinterStatus.NO_PAPER and error.message_key == "printer.no_paper"
    assert error.detail == "during job: NO_PAPER"
    legacy = PrinterError("OFFLINE")  # callers not yet moved over still pass the name
    assert legacy.status is PrinterStatus.OFFLINE and legacy.message_key == "printer.offline"
    assert legacy.detail == "OFFLINE"


@pytest.mark.parametrize(
    "status,expected",
    [
        (PrinterStatus.READY, ("ok", "ok")),
        (PrinterStatus.PAPER_NEAR_END, ("ok", "near_end")),
        (PrinterStatus.NO_PAPER, ("error", "out")),
        (PrinterStatus.OFFLINE, ("offline", "unknown")),
        (PrinterStatus.UNKNOWN, ("unknown", "unknown")),
        (None, ("unknown", "unknown")),
        ("no_paper", ("error", "out")),
    ],
)
def test_printer_report(status: Any, expected: tuple[str, str]) -> None:
    report = printer_report(status)
    assert (report.status, report.paper) == expected


class _Printer:
    def __init__(self, answer: PrinterStatus | Exception) -> None:
        self.answer = answer

    def status(self) -> PrinterStatus:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_doctor_compares_members():
    ready = printer_check(_Printer(PrinterStatus.READY))
    assert ready.ok and ready.fix == ""
    low = printer_check(_Printer(PrinterStatus.PAPER_NEAR_END))
    assert low.ok and "roll" in low.fix
    empty = printer_check(_Printer(PrinterStatus.NO_PAPER))
    assert not empty.ok and empty.fix == "load a new paper roll" and empty.detail == "status NO_PAPER"
    broken = printer_check(_Printer(OSError("no route")))
    assert not broken.ok and "power" in broken.fix
