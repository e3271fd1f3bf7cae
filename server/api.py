"""Terminal API under /api/v1: enrolment, resident sessions and certificate issue (the resident's
records are server.api_queries).

Every call but enrolment carries ``Authorization: Bearer <terminal token>``. A session is
opened with the card's proof (server.card_sessions: key 02 after the PIN, server.face_sessions:
key 01 and the face) or a 电子社保卡 code (server.esscard); a terminal has at most one open
session and reads only its resident.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Path
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.ssn import mask_ssn
from server import certificates as certs
from server.auth import enroll_with_code, invalid_token, utcnow
from server.context import GatewayContext, get_ctx, get_db, get_terminal, get_token_hash
from server.errors import TERMINAL_ERROR_RESPONSES, ApiError
from server.models import Certificate, Person, ResidentSession, Terminal
from server.replica import PRIMARY_WAL_POSITION, READ_HORIZON
from server.schemas import (
    CertificateRequest,
    CertificateResponse,
    EnrollRequest,
    EnrollResponse,
    PersonOut,
)
from server.session_seen import SEEN_WRITE_INTERVAL
from server.store.base import PersonRecord

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", responses=TERMINAL_ERROR_RESPONSES)

SessionId = Path(pattern=r"^[0-9a-f]{32}$", description="Resident session id")
SERIAL_PATTERN = r"^[A-Z]{2}\d{18}$"


def _as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands timezone-aware columns back naive; they were stored as UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def person_out(p: PersonRecord) -> PersonOut:
    return PersonOut(
        name=p.name,
        gender=p.gender,
        birth_date=p.birth_date.isoformat(),
        region=p.region,
        region_name=certs.region_name(p.region),
        ssn_masked=mask_ssn(p.ssn),
    )


@router.post("/terminals/enroll", response_model=EnrollResponse, tags=["terminals"])
def enroll_terminal(body: EnrollRequest, db: Session = Depends(get_db)) -> EnrollResponse:
    """Exchange the one-time code from `python -m server create-terminal` (or the fleet console) for
    a bearer token. The code names its terminal; ``terminal_id``, when sent, must be that one."""
    terminal_id, token = enroll_with_code(db, body.code, body.terminal_id)
    db.commit()
    return EnrollResponse(terminal_id=terminal_id, token=token)


def open_resident_session(db: Session, terminal: Terminal, person: PersonRecord, auth_method: str) -> str:
    """End the terminal's open session, open one for ``person`` and commit; returns its id."""
    now = utcnow()
    db.execute(
        update(ResidentSession)
        .where(ResidentSession.terminal_id == terminal.id, ResidentSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    session_id = secrets.token_hex(16)
    db.add(
        ResidentSession(
            id=session_id,
            terminal_id=terminal.id,
            person_id=person.person_id,
            auth_method=auth_method,
            started_at=now,
            last_seen_at=now,
        )
    )
    db.commit()
    logger.info(
        "session started",
        extra={"terminal_id": terminal.id, "ssn": mask_ssn(person.ssn), "auth_method": auth_method},
    )
    return session_id


@dataclass(frozen=True)
class OpenSession:
    """The open resident session a call is about: whose it is and which terminal holds it."""

    session_id: str
    terminal_id: str
    person_id: int
    ssn: str


# Token, session and person in one indexed look-up: the hot path of every resident query.
_SESSION_LOOKUP = (
    select(
        ResidentSession.terminal_id,
        ResidentSession.person_id,
        ResidentSession.last_seen_at,
        ResidentSession.ended_at,
        Person.ssn,
    )
    .join(Terminal, Terminal.id == ResidentSession.terminal_id)
    .join(Person, Person.id == ResidentSession.person_id)
    .where(ResidentSession.id == bindparam("session_id"), Terminal.token_hash == bindparam("token_hash"))
)


# With a read replica: the same look-up (on the primary, as credential checks always are) also gives
# the primary's WAL position, the horizon the request's reads need the replica to have reached.
_SESSION_LOOKUP_WITH_HORIZON = _SESSION_LOOKUP.add_columns(PRIMARY_WAL_POSITION)


def _find_open_session(
    ctx: GatewayContext, token_hash: str, session_id: str, replica_ok: bool = False
) -> tuple[OpenSession, bool]:
    """The open session and whether its ``last_seen_at`` is due a write (read-only). ``replica_ok``:
    the request only reads, so its resident reads may go to a replica that has caught up with
    the primary as of now (server.replica.READ_HORIZON, set for this request's context)."""
    now = utcnow()
    horizon = replica_ok and ctx.router is not None and ctx.router.has_replica
    lookup = _SESSION_LOOKUP_WITH_HORIZON if horizon else _SESSION_LOOKUP
    with ctx.reads.connect() as conn:
        row = conn.execute(lookup, {"session_id": session_id, "token_hash": token_hash}).first()
        if row is None and conn.scalar(select(Terminal.id).where(Terminal.token_hash == token_hash)) is None:
            raise invalid_token()
    idle = dt.timedelta(seconds=ctx.settings.session_idle_seconds)
    if row is None or row.ended_at is not None or now - _as_utc(row.last_seen_at) > idle:
        raise ApiError(404, "session_not_found", "会话不存在或已结束，请重新插卡", "No such open session")
    due = now - _as_utc(row.last_seen_at) > SEEN_WRITE_INTERVAL
    if horizon:
        READ_HORIZON.set(row.wal_position)
    return OpenSession(session_id, row.terminal_id, row.person_id, row.ssn), due


def open_session(ctx: GatewayContext, token_hash: str, session_id: str, *, replica_ok: bool = False) -> OpenSession:
    """The open session ``session_id`` of the terminal holding the token.

    401 for an unknown or revoked token; 404 for a session that does not exist, has ended, was idle
    too long or belongs to another terminal. Touches ``last_seen_at`` at most every 30 s.
    ``replica_ok`` only for handlers that write nothing: their resident reads may then be served by
    a read replica that has caught up (server.replica); a handler that writes reads the primary.
    """
    session, due = _find_open_session(ctx, token_hash, session_id, replica_ok)
    if due:
        ctx.seen.write({session_id: utcnow()})
    return session


def open_session_on_loop(ctx: GatewayContext, token_hash: str, session_id: str) -> OpenSession:
    """``open_session`` for the handlers on the event loop: the read runs here; the occasional
    ``last_seen_at`` write is only marked, and written with others a second later in the thread
    pool (``server.session_seen``). Only for read handlers: their resident reads may be served by a
    read replica that has caught up (server.replica)."""
    session, due = _find_open_session(ctx, token_hash, session_id, replica_ok=True)
    if due:
        ctx.seen.mark(session_id)
    return session


def session_person(ctx: GatewayContext, session: OpenSession) -> PersonRecord:
    """The full record of the session's resident (from the data source), or 404."""
    person = ctx.source.find_person(session.ssn)
    if person is None:
        raise ApiError(404, "person_not_found", "未找到参保记录", "Person no longer exists")
    return person


@router.delete("/sessions/{session_id}", status_code=204, tags=["sessions"])
def end_session(
    session_id: str = SessionId, terminal: Terminal = Depends(get_terminal), db: Session = Depends(get_db)
) -> None:
    """End the session (card pulled, resident finished, timeout). Ending an ended session is a no-op."""
    row = db.get(ResidentSession, session_id)
    if row is None or row.terminal_id != terminal.id:
        raise ApiError(404, "session_not_found", "会话不存在或已结束", "No such session")
    if row.ended_at is None:
        row.ended_at = utcnow()
        db.commit()


def certificate_out(cert: Certificate, settings_base: str, reprint: bool) -> CertificateResponse:
    return CertificateResponse(
        serial=cert.serial,
        kind=cert.kind,
        issued_at=_as_utc(cert.issued_at).isoformat(),
        terminal_id=cert.terminal_id,
        verification_code=cert.verification_code,
        content_hash=cert.content_hash,
        verify_url=f"{settings_base}/verify/{cert.serial}?code={cert.verification_code}",
        reprint=reprint,
        reprint_count=cert.reprint_count,
        content=cert.content,
    )


@router.post("/sessions/{session_id}/certificates", response_model=CertificateResponse, tags=["certificates"])
def issue_certificate(
    body: CertificateRequest,
    session_id: str = SessionId,
    token_hash: str = Depends(get_token_hash),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> CertificateResponse:
    """Issue 参保证明 / 缴费凭证 / 个人权益单 / 转出参保凭证 (transfer_out). The same idempotency_key returns the
    same certificate."""
    session = open_session(ctx, token_hash, session_id)
    person = session_person(ctx, session)
    terminal_id = session.terminal_id
    existing = db.scalar(
        select(Certificate).where(
            Certificate.terminal_id == terminal_id, Certificate.idempotency_key == body.idempotency_key
        )
    )
    if existing is not None:
        return _replay(existing, body, person, ctx)
    from_p, to_p = certs.resolve_periods(body.kind, body.from_, body.to, ctx.source, person.ssn)
    content = certs.build_content(body.kind, person, ctx.source, from_p, to_p, ctx.settings.issuing_body)
    now = utcnow().replace(microsecond=0)
    serial = certs.new_serial(body.kind, now)
    issued_at = now.isoformat()
    cert = Certificate(
        serial=serial,
        kind=body.kind,
        ssn=person.ssn,
        period_from=from_p,
        period_to=to_p,
        issued_at=now,
        terminal_id=terminal_id,
        session_id=session_id,
        idempotency_key=body.idempotency_key,
        content=content,
        content_hash=certs.content_hash(serial, body.kind, issued_at, terminal_id, content),
        verification_code=certs.new_verification_code(),
        reprint_count=0,
    )
    db.add(cert)
    try:
        db.commit()
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its certificate.
        db.rollback()
        existing = db.scalar(
            select(Certificate).where(
                Certificate.terminal_id == terminal_id, Certificate.idempotency_key == body.idempotency_key
            )
        )
        if existing is None:
            raise
        return _replay(existing, body, person, ctx)
    logger.info(
        "certificate issued",
        extra={"terminal_id": terminal_id, "serial": serial, "kind": body.kind, "ssn": mask_ssn(person.ssn)},
    )
    return certificate_out(cert, ctx.settings.public_base_url, reprint=False)


def _replay(
    existing: Certificate, body: CertificateRequest, person: PersonRecord, ctx: GatewayContext
) -> CertificateResponse:
    if existing.ssn != person.ssn or existing.kind != body.kind:
        raise ApiError(409, "idempotency_conflict", "重复的请求编号", "Idempotency key reused for another request")
    return certificate_out(existing, ctx.settings.public_base_url, reprint=False)


@router.post(
    "/sessions/{session_id}/certificates/{serial}/reprint", response_model=CertificateResponse, tags=["certificates"]
)
def reprint_certificate(
    session_id: str = SessionId,
    serial: str = Path(pattern=SERIAL_PATTERN),
    token_hash: str = Depends(get_token_hash),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> CertificateResponse:
    """The same certificate again, marked as a reprint and counted (never a second issue)."""
    session = open_session(ctx, token_hash, session_id)
    terminal_id = session.terminal_id
    ssn = session.ssn
    cert = db.get(Certificate, serial)
    if cert is None or cert.ssn != ssn:
        raise ApiError(404, "certificate_not_found", "未找到该证明", "No such certificate for this resident")
    db.execute(
        update(Certificate).where(Certificate.serial == serial).values(reprint_count=Certificate.reprint_count + 1)
    )
    db.commit()
    db.refresh(cert)
    logger.info("certificate reprinted", extra={"terminal_id": terminal_id, "serial": serial})
    return certificate_out(cert, ctx.settings.public_base_url, reprint=True)
