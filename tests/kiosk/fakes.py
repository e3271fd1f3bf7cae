"""Fakes of the controller's ports, recording what was asked of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from common.card_auth import KEY_CARD_PRESENCE, KEY_CARDHOLDER, cryptogram
from common.ssn import make_ssn
from kiosk.config import load_config, parse_override
from kiosk.controller import KioskController
from kiosk.errors import BackendRejected, CardError, CardErrorKind, PrinterError
from kiosk.models import CardData, PinResult
from kiosk.pin_policy import pin_refusal
from kiosk.printer_status import PrinterStatus
from kiosk.worker import InlineWorker

# The fake card's own keys, which the fake gateway checks its cryptograms against.
FAKE_CARD_KEYS = {KEY_CARD_PRESENCE: bytes(range(16)), KEY_CARDHOLDER: bytes(range(32, 48))}


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
        self.pin_verified = False  # the card's cardholder state, as the real card keeps it

    def read(self) -> CardData:
        if self.port.read_error:
            raise self.port.read_error
        return self.port.card

    def verify_pin(self, pin: str) -> PinResult:
        self.port.pins.append(pin)
        self.pin_verified = False
        if self.port.blocked:
            return PinResult(False, 0, True)
        if pin == self.port.pin:
            self.pin_verified = True
            return PinResult(True, None, False)
        self.port.tries -= 1
        return PinResult(False, self.port.tries, self.port.tries == 0)

    def change_pin(self, old_pin: str, new_pin: str) -> PinResult:
        """CHANGE PIN as the card answers it (the trivial-PIN refusal is kiosk.pin_policy's, as in sscard)."""
        refusal = pin_refusal(new_pin, self.port.card.birth_date)
        if refusal is not None:
            raise CardError(CardErrorKind.PIN_TRIVIAL if refusal == "card.pin_trivial" else CardErrorKind.PIN_FORMAT)
        self.port.changes.append((old_pin, new_pin))
        result = self.verify_pin(old_pin)
        if result.ok:
            self.port.pin = new_pin
        return result

    def authenticate(self, key_id: int, challenge: bytes) -> bytes:
        """INTERNAL AUTHENTICATE as the card answers it: key 02 only after a good VERIFY (else 6982)."""
        self.port.authentications.append(key_id)
        if self.port.auth_error:
            raise self.port.auth_error
        if key_id == KEY_CARDHOLDER and not self.pin_verified:
            raise CardError(CardErrorKind.UNEXPECTED_STATUS, "INTERNAL AUTHENTICATE key 02 answered 6982", sw=0x6982)
        return cryptogram(FAKE_CARD_KEYS[key_id], challenge)

    def close(self) -> None:
        self.port.closed += 1


@dataclass
class FakeCardPort:
    card: CardData = field(default_factory=sample_card)
    pin: str = "123456"
    tries: int = 3
    blocked: bool = False
    read_error: Exception | None = None
    auth_error: Exception | None = None
    pins: list[str] = field(default_factory=list)
    changes: list[tuple[str, str]] = field(default_factory=list)  # (old, new) PINs sent with CHANGE PIN
    authentications: list[int] = field(default_factory=list)  # key ids the card was asked to use
    closed: int = 0
    present: bool = False  # what the reader says when the core asks on the attract screen

    def open_card(self) -> FakeCardSession:
        return FakeCardSession(self)

    def card_present(self) -> bool:
        return self.present


class FakeBackend:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.fail: Exception | None = None
        self.issued: list[str] = []
        self.submitted: list[tuple[str, str | None]] = []
        self.esscard_people: dict[str, dict] = {}
        self._challenges: list[bytes] = []

    def _call(self, *call):
        self.calls.append(call)
        if self.fail:
            raise self.fail

    def session_challenge(self):
        self._call("session_challenge")
        challenge = len(self._challenges).to_bytes(16, "big")
        self._challenges.append(challenge)
        return challenge

    def _proven(self, key_id, challenge, answer) -> None:
        """The gateway's check: a challenge it issued, spent once, answered with the card's key ``key_id``."""
        if challenge not in self._challenges:
            raise BackendRejected(403, "card_challenge_invalid", "社保卡核验已超时，请重新插卡", "expired")
        self._challenges.remove(challenge)
        if answer != cryptogram(FAKE_CARD_KEYS[key_id], challenge):
            raise BackendRejected(403, "card_not_verified", "无法核验该社保卡", "The card could not be verified")

    def start_session(self, ssn, card_number, challenge, cryptogram_):
        self._call("start_session", ssn, card_number)
        self._proven(KEY_CARDHOLDER, challenge, cryptogram_)
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

    def cards(self, session_id):
        self._call("cards", session_id)
        return {
            "cards": [
                {
                    "card_number_masked": "A1****678",
                    "status": "normal",
                    "status_name": "正常",
                    "production_stage": "collected",
                    "production_stage_name": "已领取",
                    "is_current": True,
                    "issued_on": "2020-06-01",
                    "expires_on": "2030-06-01",
                }
            ]
        }

    def submit_application(self, session_id, kind, form=None, idempotency_key=None):
        self._call("submit_application", session_id, kind, dict(form or {}), idempotency_key)
        self.submitted.append((kind, idempotency_key))
        return {
            "number": f"SQ{len(self.submitted):06d}",
            "kind": kind,
            "status": "submitted",
            "status_name": "已提交",
            "fields": dict(form or {}),
        }

    def start_esscard_session(self, code):
        self._call("start_esscard_session", code)
        person = self.esscard_people.get(code, {"name": "李秀英", "ssn_masked": "3205**********2426"})
        return {"session_id": f"E-{code[-4:]}", "person": {**person, "birth_date": "1958-03-02", "region": "320583"}}

    def start_face_session(self, ssn, card_number, frames, challenge, cryptogram_):
        self._call("start_face_session", ssn, card_number, len(frames))
        self._proven(KEY_CARD_PRESENCE, challenge, cryptogram_)
        return {"session_id": "S2", "person": {"name": "张建国"}, "face": {"score": 0.7}}

    def face_check(self, session_id, frames):
        self._call("face_check", session_id, len(frames))
        return {"face_check_id": "fc" * 16, "score": 0.7}

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


class FakePrinter:
    def __init__(self) -> None:
        self.state = "READY"
        self.printed: list = []
        self.fail_with: str | None = None

    def status(self) -> PrinterStatus:
        return PrinterStatus.parse(self.state)

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


class FakePrintService:
    """The print service's contract, synchronously (the real one, with its own thread, is tested in
    test_print_service.py): the journal's steps around the fake printer, residents first."""

    def __init__(self, printer: FakePrinter, journal: FakeJournal) -> None:
        self.printer, self.journal = printer, journal
        self.resident = False
        self.idle = True
        self.staff_runs: list[str] = []
        self.receipts: list[dict] = []
        self.prints_done = 0

    def begin_resident(self) -> None:
        self.resident = True

    def end_resident(self) -> None:
        self.resident = False

    def status(self, on_done) -> None:
        on_done(self.printer.status())

    def unfinished_for(self, request_key):
        return None

    def print_certificate(self, certificate, document, request_key, on_done, on_error) -> None:
        job_id = self.journal.record_issued(certificate.get("serial", ""), certificate.get("kind", ""), "{}")
        self.journal.mark_sent(job_id)
        try:
            self.printer.print_document(document)
        except PrinterError as exc:
            self.journal.mark_failed(job_id, exc.detail)
            on_error(exc)
            return
        self.journal.mark_confirmed(job_id)
        self.prints_done += 1
        on_done(job_id)

    def print_receipt(self, receipt, lang, on_done, on_error) -> None:
        try:
            self.printer.print_document(("receipt", receipt.get("number"), lang))
        except PrinterError as exc:
            on_error(exc)
            return
        self.receipts.append(receipt)
        on_done(None)

    def run_staff(self, kind, on_done, on_error) -> None:
        if self.resident:
            on_error(RuntimeError("a resident is being served"))
            return
        self.staff_runs.append(kind)
        on_done(f"{kind} done")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeQrScanPort:
    """A camera that reads the code a test shows it (synchronously, as soon as it is shown)."""

    def __init__(self) -> None:
        self.on_code = None
        self.cancelled = 0

    def start(self, on_code, on_stop, on_preview=None, ignore=()) -> None:
        self.on_code = on_code

    def show(self, code: str) -> None:
        on_code, self.on_code = self.on_code, None
        on_code(code)

    def cancel(self) -> None:
        self.cancelled += 1
        self.on_code = None


def make_controller(*overrides: str, face=None, qr_scan=None, photo=None):
    config = load_config(
        overrides=[
            parse_override(text)
            for text in ("services.enabled=['insurance_info','print_insured_certificate']",) + overrides
        ]
    )
    card, backend, printer, journal, clock = FakeCardPort(), FakeBackend(), FakePrinter(), FakeJournal(), Clock()
    printing = FakePrintService(printer, journal)
    controller = KioskController(
        config,
        InlineWorker(),
        card,
        backend,
        printing,
        lambda doc: b"\x89PNG-preview",
        clock=clock,
        document_builder=lambda cert, lang: ("document", cert["serial"], lang),
        face=face,
        qr_scan=qr_scan,
        photo=photo,
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
