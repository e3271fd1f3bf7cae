"""Fleet operations shared by the console, the terminal API and the CLI.

Every state-changing operation writes an audit entry in the same transaction (caller commits).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.fleet_protocol import COMMAND_KINDS
from server.auth import create_terminal
from server.fleet.models import AuditEntry, FleetCommand, FleetTerminal
from server.fleet.profiles import max_revision
from server.models import Terminal

logger = logging.getLogger(__name__)

DEFAULT_HEARTBEAT_INTERVAL = 30
OFFLINE_AFTER_INTERVALS = 3
PAPER_WARNINGS = ("near_end", "out")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands timezone-aware columns back naive; they were stored as UTC.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def audit(db: Session, actor: str, action: str, target: str = "", detail: str = "", source_ip: str = "") -> None:
    db.add(
        AuditEntry(
            at=utcnow(),
            actor=actor[:64],
            action=action[:48],
            target=target[:120],
            detail=detail,
            source_ip=source_ip[:64],
        )
    )


def fleet_row(db: Session, terminal_id: str) -> FleetTerminal:
    """The terminal's fleet record, created empty when missing (terminals made by the bare gateway CLI)."""
    row = db.get(FleetTerminal, terminal_id)
    if row is None:
        row = FleetTerminal(terminal_id=terminal_id, site="", address="", config_floor=0, acc_sessions=0, acc_prints=0)
        db.add(row)
        db.flush()
    return row


def is_revoked(db: Session, terminal_id: str) -> bool:
    """True when staff revoked the terminal's credential (server/auth.py may refuse it at once)."""
    revoked = db.scalar(select(FleetTerminal.revoked_at).where(FleetTerminal.terminal_id == terminal_id))
    return revoked is not None


def register_terminal(
    db: Session,
    terminal_id: str,
    region: str,
    site: str = "",
    address: str = "",
    actor: str = "cli",
    source_ip: str = "",
) -> str:
    """Register or re-register a terminal; returns its one-time enrolment code. Caller commits.

    Re-registering clears a revocation and invalidates the old credential (server.auth).
    """
    existing = db.get(Terminal, terminal_id)
    moved = existing is not None and existing.region != region
    code = create_terminal(db, terminal_id, region)
    db.flush()
    row = fleet_row(db, terminal_id)
    if moved or (row.site != site and existing is not None):
        # New layers may hold older revisions: keep the bundle version from going backwards.
        row.config_floor = max(row.config_floor, max_revision(db))
    row.site = site[:64]
    row.address = address[:200]
    row.revoked_at = None
    audit(db, actor, "terminal_register", terminal_id, f"region={region} site={site}", source_ip)
    return code


def revoke_terminal(db: Session, terminal_id: str, actor: str, source_ip: str = "") -> None:
    """Revoke at once: the token hash is dropped so no further call authenticates. Caller commits."""
    terminal = db.get(Terminal, terminal_id)
    if terminal is None:
        raise LookupError(terminal_id)
    terminal.token_hash = None
    terminal.enrol_code_hash = None
    fleet_row(db, terminal_id).revoked_at = utcnow()
    audit(db, actor, "terminal_revoke", terminal_id, "", source_ip)
    logger.warning("terminal revoked", extra={"terminal_id": terminal_id})


def queue_command(db: Session, terminal_id: str, kind: str, actor: str, source_ip: str = "") -> FleetCommand:
    if kind not in COMMAND_KINDS:
        raise ValueError(f"command must be one of {COMMAND_KINDS}")
    if db.get(Terminal, terminal_id) is None:
        raise LookupError(terminal_id)
    cmd = FleetCommand(terminal_id=terminal_id, kind=kind, state="queued", created_by=actor, created_at=utcnow())
    db.add(cmd)
    db.flush()
    audit(db, actor, "command_queue", terminal_id, f"#{cmd.id} {kind}", source_ip)
    return cmd


@dataclass
class TerminalView:
    terminal: Terminal
    fleet: FleetTerminal
    state: str  # revoked | unenrolled | never_seen | offline | maintenance | online
    paper: str | None
    last_seen: dt.datetime | None


def terminal_state(terminal: Terminal, fleet: FleetTerminal, interval: int, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    last = as_utc(fleet.last_seen_at)
    if fleet.revoked_at is not None:
        return "revoked"
    if terminal.token_hash is None and last is None:
        return "unenrolled"
    if last is None:
        return "never_seen"
    if now - last > dt.timedelta(seconds=interval * OFFLINE_AFTER_INTERVALS):
        return "offline"
    if (fleet.last_state or {}).get("maintenance"):
        return "maintenance"
    return "online"


def paper_state(state: dict[str, Any] | None) -> str | None:
    printer = ((state or {}).get("devices") or {}).get("printer") or {}
    paper = printer.get("paper")
    return paper if isinstance(paper, str) else None


def list_terminals(db: Session, interval: int, region: str | None = None) -> list[TerminalView]:
    query = select(Terminal, FleetTerminal).outerjoin(FleetTerminal, FleetTerminal.terminal_id == Terminal.id)
    if region:
        query = query.where(Terminal.region == region)
    now = utcnow()
    out = []
    for terminal, fleet in db.execute(query.order_by(Terminal.id)).all():
        if fleet is None:
            fleet = FleetTerminal(terminal_id=terminal.id, site="", address="", config_floor=0)
        out.append(
            TerminalView(
                terminal,
                fleet,
                terminal_state(terminal, fleet, interval, now),
                paper_state(fleet.last_state),
                as_utc(fleet.last_seen_at),
            )
        )
    return out
