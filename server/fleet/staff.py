"""Staff accounts, sessions, login rate limiting and permissions.

- Passwords: argon2id (argon2-cffi defaults, memory-hard), rehashed when parameters change.
- Sessions: a random cookie token (only its SHA-256 is stored), an absolute lifetime (8 h), an
  idle expiry (30 min without a request) and a CSRF token of their own that every console form
  must echo. A session ends when its account's password, role or regions change, or the account
  is disabled (``set_disabled``): whoever held it must log in again under the new terms.
- Rate limit, in the database (shared by all worker processes), decided *before* the password is
  checked (each attempt recorded as a failure, one at a time per key, and withdrawn when the
  password is right, so concurrent attempts cannot slip past); a refused attempt answers 429:
  - per client address: a sliding window, at most ``max_failures`` failures in it;
  - per username: progressive back-off, not a lock. After ``max_failures`` failures each further
    attempt waits twice as long after the last failure as the one before (2 s, 4 s, ... at most
    5 min). An address the account has logged in from before (within 30 days, from the audit
    log) is exempt, so nobody guessing from elsewhere can lock an administrator out.
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

from server.fleet.models import ROLES, AuditEntry, LoginFailure, StaffSession, StaffUser
from server.fleet.service import as_utc, utcnow

logger = logging.getLogger(__name__)

# First key of the PostgreSQL advisory locks the login limiter takes (the second is the hashed
# limiter key), so they cannot collide with advisory locks taken for anything else.
_LOCK_CLASS = 0x4C4F47
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
REGION_RE = re.compile(r"^\d{6}$")
MIN_PASSWORD = 8
SESSION_LIFETIME = dt.timedelta(hours=8)
SESSION_IDLE = dt.timedelta(minutes=30)
# expires_at is moved on at most this often: one UPDATE per minute of use, not one per request.
_TOUCH_EVERY = dt.timedelta(minutes=1)
# An address the account logged in from within this period is exempt from the username back-off.
TRUSTED_ADDRESS_DAYS = 30
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
    else:
        # A new password, role or set of regions: sessions opened under the old ones end now.
        end_sessions(db, username)
    user.role = role
    user.regions = regions if role == "operator" else []
    user.password_hash = _hasher.hash(password)
    return user


def end_sessions(db: Session, username: str) -> int:
    """Delete every console session of ``username``; the number ended. Caller commits."""
    ended = db.execute(delete(StaffSession).where(StaffSession.username == username)).rowcount
    if ended:
        logger.info("staff sessions ended", extra={"user": username, "sessions": ended})
    return int(ended or 0)


def set_disabled(db: Session, username: str, disabled: bool) -> StaffUser:
    """Disable (no login, sessions ended at once) or enable an account. LookupError when there is
    none. Caller commits."""
    user = db.get(StaffUser, username) if USERNAME_RE.match(username or "") else None
    if user is None:
        raise LookupError(f"no staff account {username!r}")
    user.disabled = disabled
    if disabled:
        end_sessions(db, username)
    return user


def trusted_address(db: Session, username: str, address: str) -> bool:
    """True when ``username`` logged in successfully from ``address`` within TRUSTED_ADDRESS_DAYS."""
    if not address or not USERNAME_RE.match(username or ""):
        return False
    since = utcnow() - dt.timedelta(days=TRUSTED_ADDRESS_DAYS)
    found = db.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.actor == username,
            AuditEntry.action == "login",
            AuditEntry.source_ip == address[:64],
            AuditEntry.at >= since,
        )
        .limit(1)
    )
    return found is not None


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
        expires_at=now + min(SESSION_IDLE, SESSION_LIFETIME),
        source_ip=source_ip[:64],
    )
    db.add(row)
    return token, row


def session_for(db: Session, token: str | None) -> tuple[StaffSession, StaffUser] | None:
    """The live session of a cookie token and its account, or None (unknown, idle too long, past
    its 8 h, account disabled). A live session's idle expiry moves on (committed here: the request
    has done nothing else yet), never past created_at + SESSION_LIFETIME."""
    if not token:
        return None
    row = db.get(StaffSession, _sha(token))
    now = utcnow()
    if row is None or as_utc(row.expires_at) <= now:
        return None
    user = db.get(StaffUser, row.username)
    if user is None or user.disabled:
        return None
    expires = min(now + SESSION_IDLE, as_utc(row.created_at) + SESSION_LIFETIME)
    if expires - as_utc(row.expires_at) >= _TOUCH_EVERY:
        row.expires_at = expires
        db.commit()
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
    """Failed logins per key ("user:NAME", "ip:ADDRESS"), kept in the database (``LoginFailure``)
    so the limits hold across worker processes: with several workers an in-memory count would give
    an attacker that many times the attempts.

    Address keys: at most ``max_failures`` failures in a sliding ``window_seconds``. Username keys
    ("user:"): progressive back-off over ``user_window_seconds``: the first ``max_failures``
    failures are free, then the attempt after the n-th failure must come at least
    ``base_delay * 2 ** (n - max_failures)`` seconds (at most ``max_delay``) after the last one.
    A username is therefore never locked for longer than ``max_delay`` after its last failure,
    refused attempts do not count, and ``attempt(..., trusted=True)`` (an address the account has
    logged in from) skips the username's back-off altogether: guessing from elsewhere cannot lock
    its owner out.

    The console uses ``attempt`` → (password check) → ``succeeded`` on a right password; a wrong one
    leaves the reservation standing as its failure. Deciding and recording in one step is what makes
    the limit hold under concurrency: a check followed later by a record let simultaneous attempts
    all pass the check."""

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 300.0,
        clock: Callable[[], dt.datetime] = utcnow,
        *,
        user_window_seconds: float = 3600.0,
        base_delay: float = 2.0,
        max_delay: float = 300.0,
    ) -> None:
        self.max_failures = max_failures
        self.window = dt.timedelta(seconds=window_seconds)
        self.user_window = dt.timedelta(seconds=user_window_seconds)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._clock = clock

    @staticmethod
    def _key(key: str) -> str:
        return key[:80]

    @staticmethod
    def _is_user(key: str) -> bool:
        return key.startswith("user:")

    def delay_after(self, failures: int) -> dt.timedelta:
        """How long after the last failure a username with ``failures`` failures must wait."""
        if failures < self.max_failures:
            return dt.timedelta(0)
        exponent = min(failures - self.max_failures, 30)  # 2**30 s is far past any max_delay
        return dt.timedelta(seconds=min(self.base_delay * 2**exponent, self.max_delay))

    def _counts(self, db: Session, keys: tuple[str, ...], since: dt.datetime) -> dict[str, tuple[int, dt.datetime]]:
        """(failures, newest failure) per key since ``since``."""
        rows = db.execute(
            select(LoginFailure.key, func.count(), func.max(LoginFailure.at))
            .where(LoginFailure.key.in_([self._key(k) for k in keys]), LoginFailure.at > since)
            .group_by(LoginFailure.key)
        ).all()
        return {key: (n, as_utc(newest)) for key, n, newest in rows}

    def _sweep(self, db: Session, now: dt.datetime) -> None:
        """Delete failures older than both windows. Rows another login is deleting right now are
        skipped (PostgreSQL ``SKIP LOCKED``; SQLite has one writer anyway): concurrent logins never
        wait on, or deadlock over, each other's sweep."""
        horizon = now - max(self.window, self.user_window)
        expired = select(LoginFailure.id).where(LoginFailure.at <= horizon).with_for_update(skip_locked=True)
        db.execute(delete(LoginFailure).where(LoginFailure.id.in_(expired)))

    def _blocked(self, db: Session, keys: tuple[str, ...], now: dt.datetime, trusted: bool) -> bool:
        addresses = tuple(k for k in keys if not self._is_user(k))
        users = () if trusted else tuple(k for k in keys if self._is_user(k))
        if addresses and any(
            n >= self.max_failures for n, _ in self._counts(db, addresses, now - self.window).values()
        ):
            return True
        if users:
            for n, newest in self._counts(db, users, now - self.user_window).values():
                delay = self.delay_after(n)
                if delay and now < newest + delay:
                    return True
        return False

    def attempt(self, db: Session, *keys: str, trusted: bool = False) -> LoginAttempt:
        """Decide and record a login attempt before its password is checked: under the keys' lock,
        apply the limits (see the class); a refused attempt is ``blocked`` (answer 429 without
        checking the password), else a failure row per key is inserted. ``trusted``: the address
        has logged in as this user before (``trusted_address``), so the username's back-off does
        not apply. Either way ``db`` is committed here (it must have no other pending work), so
        the rows count for every other attempt from then on, while this one's password is still
        being checked; a right password withdraws them (``succeeded``), a wrong one leaves them as
        its failure.

        The decide-then-insert runs one attempt at a time per key, in every worker process:
        PostgreSQL takes a transaction-scoped advisory lock per key (in sorted order, so two
        attempts never deadlock; the default READ COMMITTED isolation lets the count see the
        previous holder's committed rows); SQLite has a single writer, and the sweep's DELETE,
        the transaction's first statement, takes its write lock. So exactly ``max_failures``
        attempts per window go ahead from one address, however many arrive at once."""
        now = self._clock()
        if db.get_bind().dialect.name == "postgresql":
            for key in sorted({self._key(k) for k in keys}):
                db.execute(select(func.pg_advisory_xact_lock(_LOCK_CLASS, func.hashtext(key))))
        self._sweep(db, now)
        now = max(now, self._clock())  # the lock may have taken a while: decide and record at its time
        if self._blocked(db, keys, now, trusted):
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
