"""Terminal credentials: one-time enrolment codes and bearer tokens, both stored only as SHA-256.

``create_terminal`` (CLI, console, embedded demo) returns a fresh code; ``enroll_with_code``
exchanges it once for a token; ``terminal_for_token`` resolves the ``Authorization: Bearer`` header
of every call.

A code names its terminal: it is found by its hash alone, so a terminal enrols with the code only.
The hash stays after the exchange, so a second use is told apart from a wrong code: a code is spent
while its terminal holds a token. Re-registering replaces it; revoking clears it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.errors import ApiError
from server.models import Terminal

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: codes are read off a screen and typed by staff.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TERMINAL_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REGION_RE = re.compile(r"^\d{6}$")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def short_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_terminal(db: Session, terminal_id: str, region: str = "000000") -> str:
    """Register (or re-register) a terminal and return its one-time enrolment code. Caller commits.

    Re-registering revokes the old token: the terminal must enrol again with the new code.
    """
    if not TERMINAL_ID_RE.match(terminal_id):
        raise ValueError("terminal id: 1-64 characters of A-Z a-z 0-9 . _ -")
    if not REGION_RE.match(region):
        raise ValueError("region: six digits")
    code = short_code(10)
    terminal = db.get(Terminal, terminal_id)
    if terminal is None:
        terminal = Terminal(id=terminal_id, region=region, created_at=utcnow())
        db.add(terminal)
    terminal.region = region
    terminal.enrol_code_hash = hash_secret(code)
    terminal.token_hash = None
    logger.info("terminal registered", extra={"terminal_id": terminal_id})
    return code


def enroll_with_code(db: Session, code: str, terminal_id: str | None = None) -> tuple[str, str]:
    """Exchange a one-time code for ``(terminal_id, token)``; the token is returned once and stored
    hashed. Caller commits.

    ``terminal_id``, when given, only double-checks the terminal the code was issued for. Refusals
    (ApiError): 403 ``enrolment_refused`` for a code that was never issued, was replaced or revoked;
    409 ``enrolment_terminal_mismatch`` when the code is another terminal's; 409
    ``enrolment_code_used`` when the code was already exchanged.
    """
    code_hash = hash_secret(code.strip().upper())
    matches = db.scalars(select(Terminal).where(Terminal.enrol_code_hash == code_hash)).all()
    if len(matches) != 1:
        # Two would take a collision of random 10-character codes: refused rather than guessed.
        logger.warning("enrolment refused: unknown code", extra={"terminal_id": terminal_id or "-"})
        raise ApiError(
            403,
            "enrolment_refused",
            "终端注册码无效，请核对后重新输入",
            "Invalid enrolment code: check it and enter it again",
        )
    terminal = matches[0]
    if terminal_id is not None and terminal_id != terminal.id:
        logger.warning(
            "enrolment refused: code of another terminal",
            extra={"terminal_id": terminal_id, "code_terminal_id": terminal.id},
        )
        raise ApiError(
            409,
            "enrolment_terminal_mismatch",
            f"该注册码是为终端 {terminal.id} 签发的，不是 {terminal_id}",
            f"This code was issued for {terminal.id}, not {terminal_id}",
        )
    token = secrets.token_urlsafe(32)
    # One conditional UPDATE: of two terminals racing with the same code, exactly one gets a token.
    claimed = db.execute(
        update(Terminal)
        .where(Terminal.id == terminal.id, Terminal.enrol_code_hash == code_hash, Terminal.token_hash.is_(None))
        .values(token_hash=hash_secret(token), enrolled_at=utcnow())
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if not claimed:
        logger.warning("enrolment refused: code already used", extra={"terminal_id": terminal.id})
        raise ApiError(
            409,
            "enrolment_code_used",
            f"该注册码已使用；如需重新注册终端 {terminal.id}，请在管理台生成新的注册码",
            f"This enrolment code was already used; to enrol {terminal.id} again, issue a new code "
            "in the fleet console",
        )
    logger.info("terminal enrolled", extra={"terminal_id": terminal.id})
    return terminal.id, token


def enroll(db: Session, terminal_id: str, code: str) -> str:
    """:func:`enroll_with_code` for callers that know the terminal (CLI, demo, tests): the token."""
    return enroll_with_code(db, code, terminal_id)[1]


def token_hash_of(authorization: str | None) -> str:
    """The stored form (SHA-256) of the token in an ``Authorization: Bearer`` header; 401 without one."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "终端未认证", "Missing terminal credentials")
    return hash_secret(token.strip())


def invalid_token() -> ApiError:
    return ApiError(401, "invalid_token", "终端凭证无效", "Invalid terminal credentials")


def terminal_for_token_hash(db: Session, token_hash: str) -> Terminal:
    """The terminal whose token hashes to ``token_hash``, or a 401 ApiError (unknown or revoked)."""
    terminal = db.scalar(select(Terminal).where(Terminal.token_hash == token_hash))
    if terminal is None:
        raise invalid_token()
    return terminal


def terminal_for_token(db: Session, authorization: str | None) -> Terminal:
    """The terminal owning the bearer token, or a 401 ApiError."""
    return terminal_for_token_hash(db, token_hash_of(authorization))
