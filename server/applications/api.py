"""The terminal API of applications: submit one (``POST``) and 办事进度 (``GET``).

A submission is validated by its kind's rule against the records; the application, its history,
its notification and its effect are written in one transaction. A client-chosen idempotency key
makes a retried POST return the first application, unchanged, with no second effect.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.ssn import mask_ssn
from server.api import SessionId, open_session, session_person
from server.applications.applicant import Applicant
from server.applications.catalogue import canonical_kind
from server.applications.forms import ApplicationRequest
from server.applications.lifecycle import record_status
from server.applications.office import BackOffice, get_backoffice
from server.applications.receipts import ApplicationList, ApplicationOut, application_out
from server.applications.rules import RULES
from server.auth import utcnow
from server.context import GatewayContext, get_ctx, get_db, get_token_hash
from server.errors import TERMINAL_ERROR_RESPONSES, ApiError
from server.models import Application, ApplicationEvent

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", responses=TERMINAL_ERROR_RESPONSES, tags=["applications"])


@router.post("/sessions/{session_id}/applications", response_model=ApplicationOut, status_code=201)
def submit(
    body: ApplicationRequest,
    session_id: str = SessionId,
    token_hash: str = Depends(get_token_hash),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
    office: BackOffice = Depends(get_backoffice),
) -> ApplicationOut:
    """Submit an application of one of the kinds (the kiosk's service ids). 409 with the reason
    when the records say the resident may not apply; 422 for a wrong form. The same
    idempotency_key returns the first submission, unchanged."""
    session = open_session(ctx, token_hash, session_id)
    person = session_person(ctx, session)
    kind = canonical_kind(body.kind)
    key_filter = (Application.terminal_id == session.terminal_id, Application.idempotency_key == body.idempotency_key)
    existing = db.scalar(select(Application).where(*key_filter))
    if existing is not None:
        if existing.person_id != person.person_id or canonical_kind(existing.kind) != kind:
            raise ApiError(409, "idempotency_conflict", "重复的请求编号", "Idempotency key reused")
        return application_out(existing, person)
    now = utcnow()
    applicant = Applicant(db, ctx.source, person, session_id, session.terminal_id, office.settings, now)
    decision = RULES[kind](applicant, body.form)
    details = dict(decision.details)
    if decision.effect is not None:
        decision.effect(ctx.source.writer(db), details)
    actor = f"terminal:{session.terminal_id}"
    app = Application(
        person_id=person.person_id,
        kind=kind,
        form=body.form.model_dump(mode="json"),
        status="submitted",
        region=person.region,
        details=details,
        terminal_id=session.terminal_id,
        idempotency_key=body.idempotency_key,
        created_at=now,
    )
    app.events.append(ApplicationEvent(status="submitted", note="终端提交", at=now, actor=actor))
    db.add(app)
    # The phone on record before any change: a new number is announced to the old one.
    record_status(db, app, decision.status, decision.note, actor, person.phone, at=now)
    try:
        db.commit()
    except IntegrityError:
        # A concurrent retry with the same key won: its application stands, this one (and its
        # effect) is rolled back.
        db.rollback()
        existing = db.scalar(select(Application).where(*key_filter))
        if existing is None:
            raise
        return application_out(existing, person)
    logger.info(
        "application submitted",
        extra={"terminal_id": session.terminal_id, "kind": kind, "ssn": mask_ssn(person.ssn), "status": app.status},
    )
    return application_out(app, person)


@router.get("/sessions/{session_id}/applications", response_model=ApplicationList)
def list_applications(
    session_id: str = SessionId,
    token_hash: str = Depends(get_token_hash),
    ctx: GatewayContext = Depends(get_ctx),
) -> ApplicationList:
    """办事进度: the resident's applications, newest first, each with its status history (a staff
    decision shows here as soon as it is committed: a read replica answers only once it has
    replayed everything committed before this request, server.replica)."""
    session = open_session(ctx, token_hash, session_id, replica_ok=True)
    person = session_person(ctx, session)
    query = (
        select(Application).where(Application.person_id == person.person_id).order_by(Application.id.desc()).limit(100)
    )

    def read(conn: Connection) -> ApplicationList:
        with Session(bind=conn) as db:
            return ApplicationList(items=[application_out(a, person) for a in db.scalars(query)])

    return (ctx.router or ctx.reads).run(read)
