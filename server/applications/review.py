"""Staff review (业务审核): the queue of a staff member's regions, one application in detail with the
resident's data masked by role, and decisions.

Who sees what: admins every region, operators their regions, viewers every region read-only
(viewers never decide). Operators and admins see the resident's name, number and phone in full
(they must check who applied; each such view is in the audit log); viewers see them masked.
A decision (``decide``) moves the application (server.applications.lifecycle.advance: effect,
history, notification) and writes its audit entry, all in the caller's transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.ssn import mask_name, mask_phone, mask_ssn
from server.applications.catalogue import KINDS, WAITING, canonical_kind, next_statuses, spec, status_name
from server.applications.lifecycle import TransitionRefused, advance
from server.applications.receipts import application_number, field_rows
from server.fleet import service
from server.fleet.staff import Principal
from server.models import Application, Person
from server.notify.models import NotificationOutbox
from server.reference.divisions import full_name
from server.store.base import ResidentDataSource

logger = logging.getLogger(__name__)

QUEUE_LIMIT = 200


class ReviewForbidden(Exception):
    """The staff member may not decide on this application (viewer, or another region)."""


def sees_in_full(principal: Principal, region: str | None) -> bool:
    return principal.can_act_in(region or "")


def _visible(principal: Principal) -> Any:
    """The applications a staff member may look at (a WHERE clause)."""
    if principal.role == "operator":
        return Application.region.in_(principal.regions or ("",))
    return Application.id.is_not(None)


@dataclass
class QueueRow:
    id: int
    number: str
    kind: str
    type_name: str
    status: str
    status_name: str
    region: str
    region_name: str
    submitted_at: Any
    person: str  # masked by role


def queue(
    db: Session, principal: Principal, region: str | None = None, kind: str | None = None, lang: str = "zh"
) -> list[QueueRow]:
    """Applications waiting for staff, oldest first, in the staff member's regions."""
    q = (
        select(Application, Person.name)
        .join(Person, Person.id == Application.person_id)
        .where(Application.status.in_(WAITING), _visible(principal))
        .order_by(Application.created_at, Application.id)
        .limit(QUEUE_LIMIT)
    )
    if region:
        q = q.where(Application.region == region)
    if kind:
        q = q.where(Application.kind == kind)
    rows = []
    for app, name in db.execute(q).all():
        kind_spec = spec(app.kind)
        rows.append(
            QueueRow(
                app.id,
                application_number(app),
                kind_spec.id,
                kind_spec.name_en if lang == "en" else kind_spec.name,
                app.status,
                status_name(app.status, lang),
                app.region or "",
                full_name(app.region or ""),
                app.created_at,
                name if sees_in_full(principal, app.region) else mask_name(name),
            )
        )
    return rows


def waiting_counts(db: Session, principal: Principal) -> dict[str, int]:
    """Waiting applications per kind, for the queue's filter."""
    rows = db.execute(
        select(Application.kind, func.count())
        .where(Application.status.in_(WAITING), _visible(principal))
        .group_by(Application.kind)
    ).all()
    return {canonical_kind(kind): int(n) for kind, n in rows}


@dataclass
class Detail:
    id: int
    number: str
    kind: str
    type_name: str
    status: str
    status_name: str
    region: str
    region_name: str
    terminal_id: str | None
    submitted_at: Any
    person: dict[str, str]
    full: bool
    fields: list[list[str]]
    history: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    can_decide: bool
    moves: list[str] = field(default_factory=list)


def detail(
    db: Session, source: ResidentDataSource, principal: Principal, app_id: int, lang: str = "zh"
) -> Detail | None:
    """One application as staff see it (None when it does not exist or is not theirs to see)."""
    app = db.scalar(select(Application).where(Application.id == app_id, _visible(principal)))
    if app is None:
        return None
    ssn = db.scalar(select(Person.ssn).where(Person.id == app.person_id)) or ""
    person = source.find_person(ssn)
    full = sees_in_full(principal, app.region)
    if person is None:
        shown = {"name": "—", "ssn": mask_ssn(ssn), "phone": "", "address": ""}
    elif full:
        shown = {"name": person.name, "ssn": person.ssn, "phone": person.phone or "", "address": person.address or ""}
    else:
        shown = {"name": mask_name(person.name), "ssn": mask_ssn(person.ssn), "phone": mask_phone(person.phone)}
        shown["address"] = ""
    outbox = db.scalars(
        select(NotificationOutbox).where(NotificationOutbox.application_id == app.id).order_by(NotificationOutbox.id)
    )
    kind_spec = spec(app.kind)
    return Detail(
        id=app.id,
        number=application_number(app),
        kind=kind_spec.id,
        type_name=kind_spec.name_en if lang == "en" else kind_spec.name,
        status=app.status,
        status_name=status_name(app.status, lang),
        region=app.region or "",
        region_name=full_name(app.region or ""),
        terminal_id=app.terminal_id,
        submitted_at=app.created_at,
        person=shown,
        full=full,
        fields=field_rows(app),
        history=[
            {"status": status_name(e.status, lang), "note": e.note, "at": e.at, "actor": e.actor or ""}
            for e in app.events
        ],
        notifications=[
            {"status": status_name(n.status, lang), "state": n.state, "to": mask_phone(n.recipient), "at": n.created_at}
            for n in outbox
        ],
        can_decide=full and principal.role != "viewer",
        moves=list(next_statuses(app.kind, app.status)),
    )


def decide(
    db: Session,
    source: ResidentDataSource,
    principal: Principal,
    app_id: int,
    to: str,
    *,
    reason: str = "",
    tracking_number: str = "",
    source_ip: str = "",
) -> Application:
    """Move the application to ``to`` as ``principal`` decided, with its effect, history,
    notification and audit entry (caller commits). ReviewForbidden when not theirs to decide;
    TransitionRefused when the move is not allowed (already decided, missing reason, ...)."""
    app = db.scalar(select(Application).where(Application.id == app_id).with_for_update())
    if app is None or principal.role == "viewer" or not principal.can_act_in(app.region or ""):
        raise ReviewForbidden()
    ssn = db.scalar(select(Person.ssn).where(Person.id == app.person_id)) or ""
    person = source.find_person(ssn)
    before = app.status
    advance(
        db,
        source.writer(db),
        app,
        ssn,
        person.phone if person else None,
        to,
        principal.username,
        reason=reason[:180],
        tracking_number=tracking_number[:32],
    )
    detail_text = f"{canonical_kind(app.kind)} {before}→{to}" + (f" {reason.strip()[:180]}" if reason.strip() else "")
    service.audit(db, principal.username, f"application_{to}", application_number(app), detail_text, source_ip)
    return app


def audit_view(db: Session, principal: Principal, number: str, source_ip: str) -> None:
    """Record that ``principal`` saw a resident's data in full (caller commits)."""
    service.audit(db, principal.username, "application_viewed", number, "", source_ip)


__all__ = ["KINDS", "ReviewForbidden", "TransitionRefused", "audit_view", "decide", "detail", "queue"]
