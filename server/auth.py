"""Terminal credentials: one-time enrolment codes and bearer tokens, both stored only as SHA-256.

``create_terminal`` (CLI, embedded demo) returns a fresh code; ``enroll`` exchanges it once for a
token; ``terminal_for_token`` resolves the ``Authorization: Bearer`` header of every call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets

from sqlalchemy import select
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


def enroll(db: Session, terminal_id: str, code: str) -> str:
    """Exchange a one-time code for a bearer token (returned once, stored hashed). Caller commits."""
    terminal = db.get(Terminal, terminal_id)
    expected = terminal.enrol_code_hash if terminal is not None else None
    if expected is None or not hmac.compare_digest(expected, hash_secret(code.strip().upper())):
        logger.warning("enrolment refused", extra={"terminal_id": terminal_id})
        raise ApiError(403, "enrolment_refused", "终端注册码无效或已使用", "Invalid or already used enrolment code")
    token = secrets.token_urlsafe(32)
    terminal.token_hash = hash_secret(token)
    terminal.enrol_code_hash = None
    terminal.enrolled_at = utcnow()
    logger.info("terminal enrolled", extra={"terminal_id": terminal_id})
    return token


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
