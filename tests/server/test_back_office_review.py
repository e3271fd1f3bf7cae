"""Staff review and notifications on SQLite and PostgreSQL: the full life of a card application,
refusals with a reason, approvals with effects, a notification per status change sent by the
outbox (log and HTTP SMS gateway, with back-off), and the application and its effect committed
together or not at all."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from server.applications import lifecycle, review
from server.applications.lifecycle import TransitionRefused
from server.fleet.models import AuditEntry
from server.fleet.staff import Principal
from server.models import Application, Card, Person
from server.notify.base import LogNotifier
from server.notify.models import NotificationOutbox
from server.notify.outbox import OutboxDispatcher
from server.notify.sms import SmsGatewayNotifier
from tests.server.back_office import Office, office_gateway


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def office(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    yield from office_gateway(request, tmp_path_factory)


def _decide(office: Office, principal: Principal, app_id: int, to: str, **kw: Any) -> None:
    with office.gw.ctx.sessions.begin() as db:
        review.decide(db, office.gw.ctx.source, principal, app_id, to, source_ip="127.0.0.1", **kw)


def _app_id(office: Office, number: str) -> int:
    return int(number[-8:])


def _outbox(office: Office, app_id: int) -> list[NotificationOutbox]:
    with office.gw.ctx.sessions() as db:
        q = (
            select(NotificationOutbox)
            .where(NotificationOutbox.application_id == app_id)
            .order_by(NotificationOutbox.id)
        )
        return list(db.scalars(q))


def _progress(office: Office, sid: str, number: str) -> dict[str, Any]:
    items = office.gw.client.get(f"/api/v1/sessions/{sid}/applications", headers=office.gw.headers()).json()["items"]
    return next(i for i in items if i["number"] == number)


def test_a_card_application_through_staff_review(office: Office) -> None:
    rural = office.find(lambda r: r.record.employment_status == "resident")
    region = rural.record.region
    sid = office.session(rural)
    answer = office.submit(
        sid,
        "card_application",
        {"bank": "中国建设银行", "photo": "20261201000001", "delivery": "mail", "address": "人民路 9 号"},
    )
    assert answer.status_code == 201, answer.text
    number = answer.json()["number"]
    app_id = _app_id(office, number)
    operator = Principal("op", "operator", (region,))
    elsewhere = Principal("op_b", "operator", ("110105" if region != "110105" else "441900",))
    viewer = Principal("viewer", "viewer", ())

    # Who may decide: not a viewer, not an operator of another region.
    for who in (viewer, elsewhere):
        with pytest.raises(review.ReviewForbidden):
            _decide(office, who, app_id, "approved")
    with office.gw.ctx.sessions() as db:
        queue = review.queue(db, operator)
        assert any(row.id == app_id and row.person == rural.record.name for row in queue)
        assert all(row.region == region for row in queue)
        masked = review.queue(db, viewer)
        assert any(row.id == app_id and row.person != rural.record.name for row in masked)
        assert not any(row.id == app_id for row in review.queue(db, elsewhere))
        shown = review.detail(db, office.gw.ctx.source, viewer, app_id)
        assert shown is not None and shown.person["ssn"] != rural.ssn and not shown.can_decide
        shown = review.detail(db, office.gw.ctx.source, operator, app_id)
        assert shown is not None and shown.person["ssn"] == rural.ssn and shown.moves == ["approved", "rejected"]

    with pytest.raises(TransitionRefused):
        _decide(office, operator, app_id, "shipped", tracking_number="SF1")  # not from 已受理
    steps = [
        ("approved", "审核通过", {}),
        ("producing", "制卡中", {}),
        ("shipped", "已寄出", {"tracking_number": "SF1234567890"}),
    ]
    for to, name, kw in steps:
        _decide(office, operator, app_id, to, **kw)
        shown = _progress(office, sid, number)  # 办事进度 shows the decision at once
        assert shown["status"] == to and shown["status_name"] == name
        cards = office.gw.client.get(f"/api/v1/sessions/{sid}/cards", headers=office.gw.headers()).json()["cards"]
        assert [c["production_stage_name"] for c in cards] == [name]
    assert cards[0]["tracking_number"] == "SF1234567890" and ["快递单号", "SF1234567890"] in shown["fields"]
    with pytest.raises(TransitionRefused) as refused_move:
        _decide(office, operator, app_id, "rejected", reason="照片不合格")  # too late once the card is made
    assert refused_move.value.code == "not_allowed"
    _decide(office, operator, app_id, "collected")
    shown = _progress(office, sid, number)
    assert [h["status"] for h in shown["history"]] == [
        "submitted",
        "accepted",
        "approved",
        "producing",
        "shipped",
        "collected",
    ]
    with office.gw.ctx.sessions() as db:
        pid = db.scalar(select(Person.id).where(Person.ssn == rural.ssn))
        [card] = db.scalars(select(Card).where(Card.person_id == pid))
        assert card.is_current and card.production_stage == "issued"
        actions = list(db.scalars(select(AuditEntry.action).where(AuditEntry.target == number).order_by(AuditEntry.id)))
        assert actions == [
            "application_approved",
            "application_producing",
            "application_shipped",
            "application_collected",
        ]

    # One notification per status change, sent by the outbox, none before it runs.
    rows = _outbox(office, app_id)
    assert [r.status for r in rows] == ["accepted", "approved", "producing", "shipped", "collected"]
    assert all(r.state == "pending" and r.recipient == rural.record.phone for r in rows)
    assert not any(m.text.endswith(number) for m in office.notifier.sent)
    dispatcher: OutboxDispatcher = office.gw.client.app.state.backoffice.dispatcher  # type: ignore[attr-defined]
    dispatcher.run_once()
    rows = _outbox(office, app_id)
    assert all(r.state == "sent" and r.attempts == 1 for r in rows)
    texts = [m.text for m in office.notifier.sent if number in m.text]
    assert len(texts) == 5 and "SF1234567890" in texts[3] and rural.record.name not in "".join(texts)


def test_a_replacement_cancels_the_old_card_when_the_new_one_is_collected(office: Office) -> None:
    holder = office.find(
        lambda r: r.record.employment_status == "employed" and r.card is not None and r.card["card_status"] == "normal"
    )
    sid = office.session(holder)
    number = office.submit(sid, "card_replacement", {"reason": "damaged", "photo": "20261201000001"}).json()["number"]
    admin = Principal("admin", "admin", ())
    for to, kw in (("approved", {}), ("producing", {}), ("shipped", {"tracking_number": "EMS0001"}), ("collected", {})):
        _decide(office, admin, _app_id(office, number), to, **kw)
    with office.gw.ctx.sessions() as db:
        pid = db.scalar(select(Person.id).where(Person.ssn == holder.ssn))
        cards = {c.card_number: c for c in db.scalars(select(Card).where(Card.person_id == pid))}
    old = cards[holder.card["card_number"]]  # type: ignore[index]
    assert old.status == "cancelled" and not old.is_current
    assert sum(c.is_current for c in cards.values()) == 1


def test_a_refusal_carries_its_reason_and_an_approval_its_effect(office: Office) -> None:
    rural = office.find(lambda r: r.record.employment_status == "resident", fresh=False)
    sid = office.session(rural)
    enrol = office.submit(sid, "resident_pension_enrollment", {"grade": 300})
    target = "110105" if rural.record.region != "110105" else "441900"
    start = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    filing = office.submit(sid, "medical_filing", {"target_region": target, "reason": "异地安置", "start_date": start})
    assert enrol.status_code == filing.status_code == 201
    operator = Principal("op", "operator", (rural.record.region,))
    with pytest.raises(TransitionRefused) as no_reason:
        _decide(office, operator, _app_id(office, filing.json()["number"]), "rejected", reason="  ")
    assert no_reason.value.code == "reason_required"
    _decide(office, operator, _app_id(office, filing.json()["number"]), "rejected", reason="未提供异地安置证明")
    shown = _progress(office, sid, filing.json()["number"])
    assert shown["status_name"] == "未通过" and shown["history"][-1]["note"] == "未提供异地安置证明"
    assert "未提供异地安置证明" in _outbox(office, _app_id(office, filing.json()["number"]))[-1].text
    with pytest.raises(TransitionRefused):  # decided: no second decision
        _decide(office, operator, _app_id(office, filing.json()["number"]), "completed")
    _decide(office, operator, _app_id(office, enrol.json()["number"]), "completed")
    insurance = office.gw.client.get(f"/api/v1/sessions/{sid}/insurance", headers=office.gw.headers()).json()
    assert {"type_code": "170", "status_code": "active"}.items() <= next(
        e for e in insurance["enrolments"] if e["type_code"] == "170"
    ).items()
    # A refused filing does not count: the resident may file again.
    again = office.submit(sid, "medical_filing", {"target_region": target, "reason": "异地安置", "start_date": start})
    assert again.status_code == 201, again.text


def test_the_application_and_its_effect_commit_together(office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    holder = office.find(
        lambda r: r.record.employment_status == "employed" and r.card is not None and r.card["card_status"] == "normal"
    )
    sid = office.session(holder)
    count = office.applications()

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(lifecycle, "enqueue", crash)  # after the effect, before the commit
    with pytest.raises(RuntimeError):
        office.submit(sid, "card_suspend", key=f"atomic-{office.kind}")
    monkeypatch.undo()
    with office.gw.ctx.sessions() as db:
        status = db.scalar(select(Card.status).where(Card.card_number == holder.card["card_number"]))  # type: ignore[index]
    assert status == "normal" and office.applications() == count  # neither the suspension nor the application
    retried = office.submit(sid, "card_suspend", key=f"atomic-{office.kind}")
    again = office.submit(sid, "card_suspend", key=f"atomic-{office.kind}")
    assert retried.status_code == again.status_code == 201 and retried.json()["number"] == again.json()["number"]
    with office.gw.ctx.sessions() as db:
        assert db.scalar(select(Card.status).where(Card.card_number == holder.card["card_number"])) == "temp_lost"  # type: ignore[index]
        app = db.scalar(select(Application).where(Application.idempotency_key == f"atomic-{office.kind}"))
        assert app is not None and len(_outbox(office, app.id)) == 1


class _Gateway(BaseHTTPRequestHandler):
    """A stand-in SMS gateway on loopback: answers each POST with the next planned status."""

    plan: list[int] = []
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (the http.server API)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({**body, "auth": self.headers.get("Authorization")})
        status = type(self).plan.pop(0) if type(self).plan else 200
        if status == 0:
            time.sleep(2.0)  # slower than the notifier's time-out
            status = 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def sms_gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    _Gateway.plan, _Gateway.received = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms"
    server.shutdown()
    server.server_close()


def test_the_sms_gateway_is_retried_with_back_off(office: Office, sms_gateway: str) -> None:
    sessions = office.gw.ctx.sessions
    office.gw.client.app.state.backoffice.dispatcher.run_once()  # type: ignore[attr-defined]  # earlier tests' messages
    holder = office.find(
        lambda r: r.record.employment_status == "employed" and r.card is not None and r.card["card_status"] == "normal"
    )
    sid = office.session(holder)
    started = time.monotonic()
    answer = office.submit(
        sid,
        "dispute_mediation",
        {
            "respondent": "东莞华信物流有限公司",
            "category": "社会保险",
            "description": "单位未依法缴纳社会保险费",
            "occurred_on": dt.date.today().isoformat(),
        },
    )
    assert answer.status_code == 201 and time.monotonic() - started < 2.0  # nothing is sent in the request
    now = [dt.datetime.now(dt.UTC)]
    notifier = SmsGatewayNotifier(sms_gateway, "s3cret", timeout=0.5)
    dispatcher = OutboxDispatcher(
        sessions, notifier, interval=0, base=30, cap=100, max_attempts=4, clock=lambda: now[0]
    )
    _Gateway.plan = [503, 0]  # a 503, then a time-out, then through
    assert dispatcher.run_once() == 0
    [row] = [r for r in _outbox(office, _app_id(office, answer.json()["number"]))]
    assert row.state == "pending" and row.attempts == 1 and row.last_error == "gateway answered 503"
    assert dispatcher.run_once() == 0  # not due yet: 30 s of back-off
    now[0] += dt.timedelta(seconds=31)
    assert dispatcher.run_once() == 0  # the time-out
    now[0] += dt.timedelta(seconds=59)
    assert dispatcher.run_once() == 0  # 60 s after the second failure, not 59
    now[0] += dt.timedelta(seconds=2)
    assert dispatcher.run_once() == 1
    [row] = _outbox(office, row.application_id)
    assert row.state == "sent" and row.attempts == 3
    assert {r["id"] for r in _Gateway.received} == {str(row.id)} and _Gateway.received[-1]["to"] == holder.record.phone
    assert _Gateway.received[-1]["auth"] == "Bearer s3cret" and "东莞华信" not in _Gateway.received[-1]["text"]
    assert dispatcher.backoff(1) == dt.timedelta(seconds=30) and dispatcher.backoff(9) == dt.timedelta(seconds=100)

    # A message the gateway refuses for good (4xx) is not retried.
    office.submit(sid, "contact_update", {"phone": "13700002222"})
    _Gateway.plan = [400]
    dispatcher.run_once()
    with sessions() as db:
        failed = db.scalar(select(NotificationOutbox).order_by(NotificationOutbox.id.desc()))
    assert failed is not None and failed.state == "failed" and failed.recipient == holder.record.phone
    notifier.close()


def test_no_phone_number_no_message(office: Office) -> None:
    holder = office.find(
        lambda r: r.record.employment_status == "employed" and r.card is not None and r.card["card_status"] == "normal"
    )
    with office.gw.ctx.sessions.begin() as db:
        db.scalar(select(Person).where(Person.ssn == holder.ssn)).phone = None  # type: ignore[union-attr]
    answer = office.submit(office.session(holder), "card_suspend")
    [row] = _outbox(office, _app_id(office, answer.json()["number"]))
    assert row.state == "no_recipient"
    before = len(office.notifier.sent)
    office.gw.client.app.state.backoffice.dispatcher.run_once()  # type: ignore[attr-defined]
    assert not any(m.id == row.id for m in office.notifier.sent[before:])


def test_log_notifier_masks_the_phone(caplog: pytest.LogCaptureFixture) -> None:
    from server.notify.base import Notification

    notifier = LogNotifier()
    with caplog.at_level("INFO"):
        notifier.send(Notification(7, "13912345678", "【人社服务】…", "SQ1"))
    assert "13912345678" not in caplog.text and caplog.records[-1].to == "139****5678"
    assert repr(notifier.sent[0]) == "Notification(7, 139****5678)"
