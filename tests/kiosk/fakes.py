"""Fakes of the controller's ports, recording what was asked of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from common.ssn import make_ssn
from kiosk.config import load_config, parse_override
from kiosk.controller import KioskController
from kiosk.errors import CardError, CardErrorKind, PrinterError
from kiosk.models import CardData, PinResult
from kiosk.worker import InlineWorker


def sample_card(name: str = "张建国") -> CardData:
    return CardData(
        ssn=make_ssn("320583", dt.date(1962, 5, 17), 131),
        name=name,
        gender="1",
        ethnicity="01",
        birth_date=dt.date(1962, 5, 17),
        birth_place="320583",
        card_number="A12345678",
        card_id="320583D15600000500A1B2C3D4E5F6A7",
        issuing_region="320583",
        card_type="3",
        spec_version="3.00",
        issued_on=dt.date(2020, 6, 1),
        expires_on=dt.date(2030, 6, 1),
    )


class FakeCardSession:
    def __init__(self, port: FakeCardPort) -> None:
        self.port = port

    def read(self) -> CardData:
        if self.port.read_error:
            raise self.port.read_error
        return self.port.card

    def verify_pin(self, pin: str) -> PinResult:
        self.port.pins.append(pin)
        if self.port.blocked:
            return PinResult(False, 0, True)
        if pin == self.port.pin:
            return PinResult(True, None, False)
        self.port.tries -= 1
        return PinResult(False, self.port.tries, self.port.tries == 0)

    def close(self) -> None:
        self.port.closed += 1


@dataclass
class FakeCardPort:
    card: CardData = field(default_factory=sample_card)
    pin: str = "123456"
    tries: int = 3
    blocked: bool = False
    read_error: Exception | None = None
    pins: list[str] = field(default_factory=list)
    closed: int = 0

    def open_card(self) -> FakeCardSession:
        return FakeCardSession(self)


class FakeBackend:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.fail: Exception | None = None
        self.issued: list[str] = []

    def _call(self, *call):
        self.calls.append(call)
        if self.fail:
            raise self.fail

    def start_session(self, ssn, card_number, auth_method="card_pin"):
        self._call("start_session", ssn, card_number, auth_method)
        return {"session_id": "S1", "person": {"name": "张建国"}}

    def end_session(self, session_id):
        self.calls.append(("end_session", session_id))

    def insurance(self, session_id):
        self._call("insurance", session_id)
        return {
            "enrolments": [
                {
                    "type_name": "职工基本养老保险",
                    "status": "参保缴费",
                    "start_date": "1985-07-01",
                    "unit_name": "昆山精密机械有限公司",
                }
            ],
            "summary": {"months_paid_total": 420},
        }

    def contributions(self, session_id, from_period=None, to_period=None, page=1, page_size=100):
        self._call("contributions", session_id, from_period, to_period)
        return {"items": [], "totals": {}}

    def start_face_session(self, ssn, card_number, frames):
        self._call("start_face_session", ssn, card_number, len(frames))
        return {"session_id": "S2", "person": {"name": "张建国"}, "face": {"score": 0.7}}

    def issue_certificate(self, session_id, kind, from_period=None, to_period=None, idempotency_key=None):
        self._call("issue_certificate", session_id, kind, idempotency_key)
        self.issued.append(idempotency_key)
        return {
            "serial": "RS202611240001",
            "kind": kind,
            "issued_at": "2026-11-24T10:00:00+08:00",
            "terminal_id": "T1",
            "verification_code": "K7P2M9QX",
            "content_hash": "ab" * 32,
            "verify_url": "http://127.0.0.1/verify/RS202611240001?code=K7P2M9QX",
            "reprint": False,
            "content": {
                "title": "参保证明",
                "person": {"name": "张建国", "ssn": "3205**********1311"},
                "enrolments": [],
                "issuer": "昆山市社会保险事业管理中心",
            },
        }


class Status:
    def __init__(self, name: str) -> None:
        self.name = name
        self.usable = name in ("READY", "PAPER_NEAR_END")


class FakePrinter:
    def __init__(self) -> None:
        self.state = "READY"
        self.printed: list = []
        self.fail_with: str | None = None

    def status(self):
        return Status(self.state)

    def print_document(self, doc) -> None:
        if self.fail_with:
            raise PrinterError(self.fail_with, "paper ran out mid-job")
        self.printed.append(doc)


class FakeJournal:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def record_issued(self, serial, kind, doc_json):
        self.events.append(("issued", serial))
        return 1

    def mark_sent(self, job_id):
        self.events.append(("sent", job_id))

    def mark_confirmed(self, job_id):
        self.events.append(("confirmed", job_id))

    def mark_failed(self, job_id, reason):
        self.events.append(("failed", job_id))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_controller(*overrides: str, face=None):
    config = load_config(
        overrides=[
            parse_override(text)
            for text in ("services.enabled=['insurance_info','print_insured_certificate']",) + overrides
        ]
    )
    card, backend, printer, journal, clock = FakeCardPort(), FakeBackend(), FakePrinter(), FakeJournal(), Clock()
    controller = KioskController(
        config,
        InlineWorker(),
        card,
        backend,
        printer,
        lambda doc: b"\x89PNG-preview",
        journal=journal,
        clock=clock,
        document_builder=lambda cert, lang: ("document", cert["serial"], lang),
        face=face,
    )
    return controller, card, backend, printer, journal, clock


def removed_error() -> CardError:
    return CardError(CardErrorKind.REMOVED, "card pulled during READ RECORD")


class FakeFacePort:
    """Plays a capture: ``progress`` frames then ``outcome``, synchronously when ``start`` is called."""

    def __init__(self) -> None:
        from kiosk.ports import FaceOutcome, FaceProgress

        self.progress = [FaceProgress(b"\x00" * 12, 2, 2, "face.liveness.blink")]
        self.outcome = FaceOutcome(True, None, [b"\xff\xd8jpeg-1", b"\xff\xd8jpeg-2"])
        self.cancelled = 0
        self.auto_finish = True
        self._done = None

    def start(self, on_progress, on_done) -> None:
        for update in self.progress:
            on_progress(update)
        if self.auto_finish:
            on_done(self.outcome)
        else:
            self._done = on_done

    def cancel(self) -> None:
        from kiosk.ports import FaceOutcome

        self.cancelled += 1
        if self._done is not None:
            done, self._done = self._done, None
            done(FaceOutcome(False, "face.capture.cancelled", []))
