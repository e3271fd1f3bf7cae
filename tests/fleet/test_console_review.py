"""The 业务审核 console pages on SQLite and PostgreSQL: the queue by region and role, masking, decisions
(CSRF, roles, reasons), the audit log, and the decision visible at once in 办事进度."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from server.fleet.models import AuditEntry
from server.models import Application
from server.notify.models import NotificationOutbox
from tests.fleet.conftest import Fleet
from tests.fleet.review_data import seed_applications


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


def _status(fleet: Fleet, app_id: int) -> str:
    with fleet.ctx.sessions() as db:
        return db.scalar(select(Application.status).where(Application.id == app_id)) or ""


def test_review_pages_by_role(fleet: Fleet, staff_client: Any) -> None:
    with fleet.client() as terminal:
        made = seed_applications(fleet, terminal)
    card, filing_a, filing_b = made["card"], made["filing_a"], made["filing_b"]
    with fleet.client() as anonymous:
        assert anonymous.get("/console/review", follow_redirects=False).status_code == 303

    op, op_csrf = staff_client("op_a")
    page = op.get("/console/review")
    assert page.status_code == 200 and "业务审核" in page.text
    assert f'id="app-{card.id}"' in page.text and f'id="app-{filing_b.id}"' not in page.text  # own region only
    assert card.name in page.text and card.ssn not in page.text
    assert op.get(f"/console/review/{filing_b.id}").status_code == 404  # not theirs to see
    detail = op.get(f"/console/review/{card.id}")
    assert card.ssn in detail.text and 'id="decide-approved"' in detail.text

    viewer, viewer_csrf = staff_client("viewer")
    page = viewer.get("/console/review")
    assert f'id="app-{filing_b.id}"' in page.text and card.name not in page.text  # every region, masked
    detail = viewer.get(f"/console/review/{card.id}")
    assert card.ssn not in detail.text and card.name not in detail.text and "decide-" not in detail.text
    answer = viewer.post(f"/console/review/{card.id}/decide", data={"to": "approved", "csrf": viewer_csrf})
    assert answer.status_code == 403 and _status(fleet, card.id) == "accepted"

    # CSRF, then a refusal without a reason, then decisions.
    answer = op.post(f"/console/review/{filing_a.id}/decide", data={"to": "rejected", "reason": "x", "csrf": "forged"})
    assert answer.status_code == 403 and _status(fleet, filing_a.id) == "accepted"
    answer = op.post(f"/console/review/{filing_a.id}/decide", data={"to": "rejected", "csrf": op_csrf})
    assert answer.status_code == 409 and "不予通过须填写理由" in answer.text
    answer = op.post(
        f"/console/review/{filing_a.id}/decide",
        data={"to": "rejected", "reason": "备案材料不全", "csrf": op_csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and _status(fleet, filing_a.id) == "rejected"
    answer = op.post(f"/console/review/{card.id}/decide", data={"to": "approved", "csrf": op_csrf})
    assert answer.status_code == 200 and 'id="decided"' in answer.text and _status(fleet, card.id) == "approved"
    answer = op.post(f"/console/review/{card.id}/decide", data={"to": "shipped", "csrf": op_csrf})
    assert answer.status_code == 409 and _status(fleet, card.id) == "approved"
    answer = op.post(f"/console/review/{filing_b.id}/decide", data={"to": "completed", "csrf": op_csrf})
    assert answer.status_code == 403 and _status(fleet, filing_b.id) == "accepted"

    admin, admin_csrf = staff_client("admin")
    assert (
        admin.post(f"/console/review/{filing_b.id}/decide", data={"to": "completed", "csrf": admin_csrf}).status_code
        == 200
    )
    assert f'id="app-{filing_b.id}"' not in admin.get("/console/review").text  # decided: off the queue

    with fleet.ctx.sessions() as db:
        audit = {(a.actor, a.action, a.target) for a in db.scalars(select(AuditEntry))}
        outbox = list(
            db.scalars(select(NotificationOutbox.status).where(NotificationOutbox.application_id == filing_a.id))
        )
    assert ("op_a", "application_rejected", filing_a.number) in audit
    assert ("op_a", "application_approved", card.number) in audit
    assert ("admin", "application_completed", filing_b.number) in audit
    assert ("op_a", "application_viewed", card.number) in audit  # the resident's data seen in full
    assert not any(actor == "viewer" and action == "application_viewed" for actor, action, _ in audit)
    assert outbox == ["accepted", "rejected"]

    # The resident sees the decision at once in 办事进度 (the terminal's open session: the last resident).
    with fleet.client() as terminal:
        headers = {"Authorization": f"Bearer {made['token']}"}
        items = terminal.get(f"/api/v1/sessions/{filing_b.session_id}/applications", headers=headers).json()["items"]
    assert [(i["number"], i["status_name"]) for i in items] == [(filing_b.number, "已办结")]
    english = op.get("/console/lang/en?next=/console/review", follow_redirects=True)
    assert "Waiting for review" in english.text
