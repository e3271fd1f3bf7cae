"""Fleet-manager records, on the gateway's ``server.models.Base`` (migration 0002).

- ``FleetTerminal``: what staff know about a terminal beside its credential (``terminals`` row):
  site, address, revocation, the public-key pin handed out at enrolment, latest heartbeat state.
- ``ConfigProfile``: one immutable *version* of a profile. A profile is identified by
  ``(scope, scope_key)``; editing adds a row with ``version + 1`` and a rollback adds a row copying
  an older one, so history is never overwritten. The autoincrement ``id`` is a fleet-wide,
  strictly increasing revision number: bundle versions are built from it, so they only go up.
- ``Heartbeat``: history of heartbeats (the latest also sits on ``FleetTerminal`` for the dashboard).
- ``FleetCommand``: queued → delivered → acknowledged (ok or failed, with the terminal's result);
  its kinds are ``common.fleet_protocol.COMMAND_KINDS``.
- ``AuditEntry``: who did what, when, from where.
- ``StaffUser`` / ``StaffSession``: console accounts (argon2id hashes) and their expiring sessions
  (the cookie holds a random token; only its SHA-256 is stored).
- ``LoginFailure``: failed console logins per limiter key (migration 0004), so the login rate limit
  holds across worker processes.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base

logger = logging.getLogger(__name__)

SCOPES = ("global", "region", "site", "terminal")
ROLES = ("admin", "operator", "viewer")
COMMAND_STATES = ("queued", "delivered", "acknowledged", "failed")


class FleetTerminal(Base):
    __tablename__ = "fleet_terminals"
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id", ondelete="CASCADE"), primary_key=True)
    site: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # SHA-256 of the server public key the terminal was told to pin (shown to staff for checks).
    key_pin: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Bundle versions never go below this: raised when the terminal moves region/site so a
    # terminal never sees its version fall after its layers change.
    config_floor: Mapped[int] = mapped_column(Integer, default=0)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_state: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    config_version_applied: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # History is sampled (see server.fleet.heartbeats): when the last row was written, and the
    # sessions/prints counted since then so no count is lost between samples.
    history_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acc_sessions: Mapped[int] = mapped_column(Integer, default=0)
    acc_prints: Mapped[int] = mapped_column(Integer, default=0)


class ConfigProfile(Base):
    __tablename__ = "config_profiles"
    __table_args__ = (UniqueConstraint("scope", "scope_key", "version", name="uq_profile_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))
    scope_key: Mapped[str] = mapped_column(String(80))  # "" for global; region code; "REGION/SITE"; terminal id
    version: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)  # nested like the TOML: {"session": {"idle_timeout": 90}}
    comment: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Heartbeat(Base):
    __tablename__ = "fleet_heartbeats"
    __table_args__ = (Index("ix_heartbeats_terminal_at", "terminal_id", "received_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id", ondelete="CASCADE"))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class FleetCommand(Base):
    __tablename__ = "fleet_commands"
    __table_args__ = (Index("ix_commands_terminal_state", "terminal_id", "state"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditEntry(Base):
    __tablename__ = "fleet_audit"
    __table_args__ = (Index("ix_audit_at", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))  # staff username, "terminal:<id>" or "cli"
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str] = mapped_column(String(120), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    source_ip: Mapped[str] = mapped_column(String(64), default="")


class StaffUser(Base):
    __tablename__ = "staff_users"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)  # operators only
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    disabled: Mapped[bool] = mapped_column(default=False)


class StaffSession(Base):
    __tablename__ = "staff_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("staff_users.username", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    source_ip: Mapped[str] = mapped_column(String(64), default="")


class LoginFailure(Base):
    """One failed console login under one limiter key ("user:NAME" or "ip:ADDRESS"); rows older than
    the limiter's window are swept by the next failure."""

    __tablename__ = "fleet_login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"), Index("ix_login_failures_at", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
