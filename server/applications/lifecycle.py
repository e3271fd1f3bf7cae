"""Status changes: the history row, the resident's notification and the effect, in one transaction.

``record_status`` is the only way an application changes status: it appends the event (with who
did it) and enqueues the notification (server.notify.outbox) in the caller's transaction.
``advance`` is a staff decision (server.applications.review): it checks the move is allowed for
the kind (server.applications.catalogue), writes the decision's effect on the resident records
(the new card's stages, the card becoming current, the 城乡居民养老 enrolment) and records it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.orm import Session

from server.applications.catalogue import CARD, canonical_kind, next_statuses, spec, status_name
from server.applications.receipts import application_number
from server.auth import utcnow
from server.models import Application, ApplicationEvent
from server.notify.outbox import enqueue

logger = logging.getLogger(__name__)

# The new card's 制卡进度 stage for each status of its application (server.store.base names them).
CARD_STAGES = {"approved": "approved", "producing": "producing", "shipped": "shipped"}


class TransitionRefused(Exception):
    """The move is not allowed (already decided, wrong status, missing reason or tracking number)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def notification_text(app: Application, status: str, note: str) -> str:
    """The SMS: kind, number, new status, and the note (the reason of a refusal, the tracking
    number of a card sent). No name or ID number: a phone may be read by someone else."""
    name = spec(app.kind).name
    text = f"【人社服务】您的{name}申请（{application_number(app)}）{status_name(status)}"
    return f"{text}：{note}" if note else f"{text}。"


def record_status(
    db: Session,
    app: Application,
    status: str,
    note: str,
    actor: str,
    recipient: str | None,
    at: dt.datetime | None = None,
) -> None:
    """Move ``app`` to ``status`` with its history row and notification, in ``db``'s transaction."""
    at = at or utcnow()
    app.status = status
    app.events.append(ApplicationEvent(status=status, note=note[:200], at=at, actor=actor[:64]))
    db.flush()  # the application's id and number, for the message
    enqueue(db, app.id, app.person_id, recipient, status, notification_text(app, status, note))


def advance(
    db: Session,
    writer: Any,
    app: Application,
    ssn: str,
    recipient: str | None,
    to: str,
    actor: str,
    *,
    reason: str = "",
    tracking_number: str = "",
) -> None:
    """A staff decision: move ``app`` to ``to`` with its effect. TransitionRefused when not allowed."""
    if to not in next_statuses(app.kind, app.status):
        raise TransitionRefused("not_allowed")
    if to == "rejected" and not reason.strip():
        raise TransitionRefused("reason_required")
    if to == "shipped" and not tracking_number.strip():
        raise TransitionRefused("tracking_required")
    details = dict(app.details or {})
    card = details.get("_card_number")
    kind = canonical_kind(app.kind)
    if spec(kind).life == CARD and card:
        if to in CARD_STAGES:
            writer.set_card_stage(ssn, card, CARD_STAGES[to], tracking_number.strip() or None)
        elif to == "collected":
            writer.activate_card(ssn, card)
        elif to == "rejected":
            writer.cancel_card(ssn, card)
    if kind == "resident_pension_enrollment" and to == "completed":
        writer.add_enrolment(ssn, "170", app.region or "", utcnow().date())
    note = {"rejected": reason.strip(), "shipped": f"快递单号 {tracking_number.strip()}"}.get(to, "")
    if to == "shipped":
        details["快递单号"] = tracking_number.strip()
    if to == "completed" and not note:
        note = "审核通过"
    app.details = details
    record_status(db, app, to, note, actor, recipient)
    logger.info("application decided", extra={"application_id": app.id, "kind": kind, "status": to, "user": actor})
