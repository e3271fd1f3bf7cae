"""电子社保卡 sign-in codes: issued for one person, single use, valid for 60 s, kept in the database.

The gateway stands in for the national platform that issues these codes (``python -m server
mint-esscard SSN`` plays the resident's phone). The codes live in the table ``esscard_codes``
(migration 0005), not in memory, so every worker process of the gateway agrees on them; only the
SHA-256 of a code is stored, so a copy of the database cannot be used to sign anybody in.

Concurrency contract: a code is spent by one conditional ``UPDATE`` (unused and unexpired, then
marked used), which the database evaluates on the row it locks: PostgreSQL re-checks the
condition on the newest row version after a concurrent update commits (READ COMMITTED) and SQLite
runs one writer at a time. Two terminals showing the same code at the same moment therefore open
at most one session; the other is told the code was used.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import DateTime, Index, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from common.esscard import CODE_EXPIRED, CODE_TTL_SECONDS, CODE_UNKNOWN, CODE_USED, new_code
from common.ssn import mask_ssn
from server.auth import hash_secret, utcnow
from server.errors import ApiError
from server.models import Base

logger = logging.getLogger(__name__)

CODE_TTL = dt.timedelta(seconds=CODE_TTL_SECONDS)
# Spent and expired codes are kept this long (so a late second use is still told "used"), then purged.
KEEP_SPENT = dt.timedelta(days=1)


class EsscardCode(Base):
    """One issued code: its hash, whose it is, when it expires and whether it was spent (and where)."""

    __tablename__ = "esscard_codes"
    __table_args__ = (Index("ix_esscard_codes_expires_at", "expires_at"),)
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    ssn: Mapped[str] = mapped_column(String(18))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    used_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the terminal that spent it

    def __repr__(self) -> str:  # no SSN in reprs: they end up in logs
        return f"EsscardCode(expires_at={self.expires_at}, used={self.used_at is not None})"


def unknown_code() -> ApiError:
    return ApiError(
        404,
        CODE_UNKNOWN,
        "无法识别该电子社保卡二维码，请在电子社保卡中刷新后重新出示",
        "This is not a valid 电子社保卡 code. Refresh the code on your phone and show it again",
    )


def expired_code() -> ApiError:
    return ApiError(
        410,
        CODE_EXPIRED,
        "电子社保卡二维码已过期，请刷新后重新出示",
        "This 电子社保卡 code has expired. Refresh it on your phone and show it again",
    )


def used_code() -> ApiError:
    return ApiError(
        409,
        CODE_USED,
        "该电子社保卡二维码已使用过，请刷新后重新出示",
        "This 电子社保卡 code has already been used. Refresh it on your phone and show it again",
    )


def mint_code(db: Session, ssn: str, now: dt.datetime | None = None) -> str:
    """Issue a code for ``ssn`` (the caller has checked the person exists) and return it; caller commits.

    ``now`` is the issue time (tests pass an earlier one to get an expired code). Codes spent or
    expired more than :data:`KEEP_SPENT` ago are purged on the way, which keeps the table small
    without a housekeeping job.
    """
    now = now or utcnow()
    code = new_code()
    db.execute(delete(EsscardCode).where(EsscardCode.expires_at < now - KEEP_SPENT))
    db.add(EsscardCode(code_hash=hash_secret(code), ssn=ssn, issued_at=now, expires_at=now + CODE_TTL))
    logger.info("esscard code issued", extra={"ssn": mask_ssn(ssn)})
    return code


def spend_code(db: Session, code: str, terminal_id: str, now: dt.datetime | None = None) -> str:
    """Spend ``code`` for ``terminal_id`` and return the SSN it was issued for; commits.

    Refusals (ApiError): 404 ``esscard_code_unknown`` (never issued, or purged), 409
    ``esscard_code_used``, 410 ``esscard_code_expired``. A code both used and expired is "used".
    """
    now = now or utcnow()
    code_hash = hash_secret(code)
    # A transaction that has read cannot become a writer on SQLite once another one committed:
    # start the write in a fresh transaction.
    db.commit()
    spent = db.execute(
        update(EsscardCode)
        .where(EsscardCode.code_hash == code_hash, EsscardCode.used_at.is_(None), EsscardCode.expires_at > now)
        .values(used_at=now, used_by=terminal_id)
    ).rowcount
    row = db.execute(select(EsscardCode.ssn, EsscardCode.used_at).where(EsscardCode.code_hash == code_hash)).first()
    db.commit()
    if spent == 1 and row is not None:
        return row.ssn
    if row is None:
        logger.info("esscard code refused: unknown", extra={"terminal_id": terminal_id})
        raise unknown_code()
    if row.used_at is not None:
        logger.info("esscard code refused: used", extra={"terminal_id": terminal_id, "ssn": mask_ssn(row.ssn)})
        raise used_code()
    logger.info("esscard code refused: expired", extra={"terminal_id": terminal_id, "ssn": mask_ssn(row.ssn)})
    raise expired_code()
