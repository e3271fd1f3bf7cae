"""Staff accounts, sessions, login rate limiting and permissions.

- Passwords: argon2id (argon2-cffi defaults, memory-hard), rehashed when parameters change.
- Sessions: a random cookie token (only its SHA-256 is stored), an absolute lifetime and a CSRF
  token of their own that every console form must echo.
- Rate limit: failed logins are counted per username and per client address in a sliding
  window, in the database (shared by all worker processes); over the limit the login answers 429
  without checking the password. Each attempt is counted and recorded as a failure, one at a time
  per key, *before* its password is checked (and withdrawn when the password is right), so
  concurrent attempts cannot slip past.
- Roles: admin does everything; operator acts (commands, profiles, terminals) only in the regions
  listed on the account; viewer reads only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.fleet.models import ROLES, LoginFailure, StaffSession, StaffUser
from server.fleet.service import as_utc, utcnow

logger = logging.getLogger(__name__)

# First key of the PostgreSQL advisory locks the login limiter takes (the second is the hashed
# limiter key), so they cannot collide with advisory locks taken for anything else.
_LOCK_CLASS = 0x4C4F47
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
REGION_RE = re.compile(r"^\d{6}$")
MIN_PASSWORD = 8
SESSION_LIFETIME = dt.timedelta(hours=8)
_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal valid usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_staff(db: Session, username: str, role: str, password: str, regions: list[str] | None = None) -> StaffUser:
    """Create or update a staff account. Caller commits."""
    if not USERNAME_RE.match(username):
        raise ValueError("username: 1-64 characters of A-Z a-z 0-9 . _ -")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters")
    regions = regions or []
    if any(not REGION_RE.match(r) for r in regions):
        raise ValueError("regions: six-digit codes")
    if role == "operator" and not regions:
        raise ValueError("an operator needs at least one region (--region CODE)")
    user = db.get(StaffUser, username)
    if user is None:
        user = StaffUser(username=username, created_at=utcnow(), disabled=False)
        db.add(user)
    user.role = role
    user.regions = regions if role == "operator" else []
    user.password_hash = _hasher.hash(password)
    return user


def check_password(db: Session, username: str, password: str) -> StaffUser | None:
    user = db.get(StaffUser, username) if USERNAME_RE.match(username or "") else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def open_session(db: Session, user: StaffUser, source_ip: str) -> tuple[str, StaffSession]:
    """(cookie token, session row). Caller commits. Expired sessions are swept here."""
    now = utcnow()
    db.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        token_hash=_sha(token),
        username=user.username,
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
        source_ip=source_ip[:64],
    )
    db.add(row)
    return token, row


def session_for(db: Session, token: str | None) -> tuple[StaffSession, StaffUser] | None:
    if not token:
        return None
    row = db.get(StaffSession, _sha(token))
    if row is None or as_utc(row.expires_at) <= utcnow():
        return None
    user = db.get(StaffUser, row.username)
    if user is None or user.disabled:
        return None
    return row, user


def close_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(StaffSession).where(StaffSession.token_hash == _sha(token)))


def csrf_ok(expected: str, given: str | None) -> bool:
    # Bytes, not str: compare_digest raises TypeError on non-ASCII text (a 500 instead of a 403).
    return bool(given) and hmac.compare_digest(expected.encode("utf-8"), (given or "").encode("utf-8"))


@dataclass
class Principal:
    username: str
    role: str
    regions: tuple[str, ...]

    def can_act_in(self, region: str) -> bool:
        return self.role == "admin" or (self.role == "operator" and region in self.regions)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_edit_scope(self, scope: str, key: str, terminal_region: str | None = None) -> bool:
        """Global: admin. Region "R" / site "R/..." : region R. Terminal: the terminal's region."""
        if self.role == "admin":
            return True
        if self.role != "operator":
            return False
        if scope == "region":
            return key in self.regions
        if scope == "site":
            return key.split("/", 1)[0] in self.regions
        if scope == "terminal":
            return terminal_region is not None and terminal_region in self.regions
        return False


@dataclass(frozen=True)
class LoginAttempt:
    """A login attempt recorded by ``LoginLimiter.attempt``: the ``LoginFailure`` rows it inserted
    (one per key; none when ``blocked``), which count as a failure unless ``LoginLimiter.succeeded``
    withdraws them."""

    ids: tuple[int, ...]
    blocked: bool


class LoginLimiter:
    """Sliding-window count of failed logins per key ("user:NAME", "ip:ADDRESS"), kept in the
    database (``LoginFailure``) so the limit holds across worker processes: with several workers an
    in-memory count would give an attacker that many times the attempts.

    The console uses ``attempt`` → (password check) → ``succeeded`` on a right password; a wrong one
    leaves the reservation standing as its failure. Deciding and recording in one step is what makes
    the limit hold under concurrency: a check followed later by a record let simultaneous attempts
    all pass the check."""

    def __init__(
        self, max_failures: int = 5, window_seconds: float = 300.0, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.max_failures = max_failures
        self.window = dt.timedelta(seconds=window_seconds)
        self._clock = clock

    @staticmethod
    def _key(key: str) -> str:
        return key[:80]

    def _counts(self, db: Session, keys: tuple[str, ...], now: dt.datetime) -> list[tuple[str, int]]:
        rows = db.execute(
            select(LoginFailure.key, func.count())
            .where(LoginFailure.key.in_([self._key(k) for k in keys]), LoginFailure.at > now - self.window)
            .group_by(LoginFailure.key)
        ).all()
        return [(key, n) for key, n in rows]

    def _sweep(self, db: Session, now: dt.datetime) -> None:
        """Delete failures older than the window. Rows another login is deleting right now are
        skipped (PostgreSQL ``SKIP LOCKED``; SQLite has one writer anyway): concurrent logins never
        wait on, or deadlock over, each other's sweep."""
        expired = select(LoginFailure.id).where(LoginFailure.at <= now - self.window).with_for_update(skip_locked=True)
        db.execute(delete(LoginFailure).where(LoginFailure.id.in_(expired)))

    def attempt(self, db: Session, *keys: str) -> LoginAttempt:
        """Decide and record a login attempt before its password is checked: under the keys' lock,
        count their failures in the window; at ``max_failures`` the attempt is ``blocked`` (answer
        429 without checking the password), else a failure row per key is inserted. Either way
        ``db`` is committed here (it must have no other pending work), so the rows count for every
        other attempt from then on, while this one's password is still being checked; a right
        password withdraws them (``succeeded``), a wrong one leaves them as its failure.

        The count-then-insert runs one attempt at a time per key, in every worker process:
        PostgreSQL takes a transaction-scoped advisory lock per key (in sorted order, so two
        attempts never deadlock; the default READ COMMITTED isolation lets the count see the
        previous holder's committed rows); SQLite has a single writer, and the sweep's DELETE,
        the transaction's first statement, takes its write lock. So exactly ``max_failures``
        attempts per window go ahead, however many arrive at once."""
        now = self._clock()
        if db.get_bind().dialect.name == "postgresql":
            for key in sorted({self._key(k) for k in keys}):
                db.execute(select(func.pg_advisory_xact_lock(_LOCK_CLASS, func.hashtext(key))))
        self._sweep(db, now)
        if any(n >= self.max_failures for _key, n in self._counts(db, keys, now)):
            db.commit()  # ends the transaction: the next attempt may decide
            return LoginAttempt((), blocked=True)
        rows = [LoginFailure(key=self._key(k), at=now) for k in keys]
        db.add_all(rows)
        db.flush()
        ids = tuple(row.id for row in rows)
        db.commit()
        return LoginAttempt(ids, blocked=False)

    def succeeded(self, db: Session, username_key: str, attempt: LoginAttempt) -> None:
        """A correct password clears the username's failures (not the address's) and withdraws
        ``attempt``'s reservation under every key. Caller commits."""
        db.execute(delete(LoginFailure).where(LoginFailure.key == self._key(username_key)))
        if attempt.ids:
            db.execute(delete(LoginFailure).where(LoginFailure.id.in_(attempt.ids)))
