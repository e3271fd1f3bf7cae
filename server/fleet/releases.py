"""Software releases and rollouts: publishing, choosing what each terminal is offered, and its reports.

- ``publish``: store a release (bytes, sha256, size, notes) in the database (CLI ``publish-release``).
- ``create_rollout`` / ``promote`` / ``halt``: staff's decisions (console; audited by the caller's
  session in the same transaction). Creating a rollout of a version halts no other rollout, but
  the newest rollout that is not halted is the one terminals follow.
- ``offered_release``: the release a terminal should run, or None. A canary rollout offers its
  version to the terminals named in it and to every terminal of its regions; a promoted one to all.
- ``signed_manifest``: the manifest envelope, signed at serving time with the gateway's fleet key
  (the key config bundles are signed with), so every gateway of a fleet signs identically.
- ``record_report``: a terminal's update step; a ``rolled_back`` or ``refused`` report of the
  rollout's version halts that rollout by itself (a broken release reaches no other terminal).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.release import build_manifest, sign_manifest, valid_version
from server.fleet import service
from server.fleet.models import FleetTerminal
from server.fleet.release_models import ReleaseArtefact, Rollout, SoftwareRelease, TerminalUpdate
from server.models import Terminal

logger = logging.getLogger(__name__)

HALTING_STEPS = frozenset({"rolled_back", "refused"})
MAX_ARTEFACT_BYTES = 512 * 1024 * 1024


def publish(db: Session, version: str, data: bytes, notes: str = "", actor: str = "cli") -> SoftwareRelease:
    """Store a new release; ValueError when the version is invalid or already published (releases
    are immutable: a fix is a new version)."""
    if not valid_version(version):
        raise ValueError(f"invalid version {version!r}")
    if not data or len(data) > MAX_ARTEFACT_BYTES:
        raise ValueError(f"artefact must hold 1 byte to {MAX_ARTEFACT_BYTES} bytes")
    if db.get(SoftwareRelease, version) is not None:
        raise ValueError(f"version {version} is already published")
    created = service.utcnow().replace(microsecond=0).isoformat()
    manifest = build_manifest(version, hashlib.sha256(data).hexdigest(), len(data), created, notes)
    row = SoftwareRelease(
        version=version,
        sha256=manifest["sha256"],
        size=manifest["size"],
        created=created,
        notes=notes,
        published_by=actor,
    )
    db.add(row)
    db.flush()
    db.add(ReleaseArtefact(version=version, data=data))
    service.audit(db, actor, "release_publish", version, f"sha256={row.sha256} size={row.size}")
    return row


def manifest_of(row: SoftwareRelease) -> dict[str, Any]:
    return build_manifest(row.version, row.sha256, row.size, row.created, row.notes)


def signed_manifest(key: Ed25519PrivateKey, row: SoftwareRelease) -> dict[str, Any]:
    return sign_manifest(key, manifest_of(row))


def artefact_length(db: Session, version: str) -> int | None:
    """The stored artefact's length in bytes (None when there is none), without loading it."""
    length = db.scalar(select(func.length(ReleaseArtefact.data)).where(ReleaseArtefact.version == version))
    return None if length is None else int(length)


def artefact_chunk(db: Session, version: str, offset: int, size: int) -> bytes:
    """``size`` bytes of the artefact from ``offset``: the database cuts them out, so serving a
    large release never holds all of it in a gateway's memory."""
    chunk = db.scalar(
        select(func.substr(ReleaseArtefact.data, offset + 1, size)).where(ReleaseArtefact.version == version)
    )
    return bytes(chunk or b"")


def releases(db: Session) -> list[SoftwareRelease]:
    return list(db.scalars(select(SoftwareRelease).order_by(SoftwareRelease.created.desc())))


def rollouts(db: Session, limit: int = 50) -> list[Rollout]:
    return list(db.scalars(select(Rollout).order_by(Rollout.id.desc()).limit(limit)))


def in_canary(rollout: Rollout, terminal_id: str, region: str) -> bool:
    return terminal_id in (rollout.canary_terminals or []) or region in (rollout.canary_regions or [])


def active_rollout(db: Session) -> Rollout | None:
    """The newest rollout that is not halted: the one terminals follow."""
    return db.scalars(select(Rollout).where(Rollout.state != "halted").order_by(Rollout.id.desc()).limit(1)).first()


def offered_release(db: Session, terminal: Terminal) -> tuple[Rollout, SoftwareRelease] | None:
    rollout = active_rollout(db)
    if rollout is None:
        return None
    if rollout.state != "promoted" and not in_canary(rollout, terminal.id, terminal.region):
        return None
    release = db.get(SoftwareRelease, rollout.version)
    return None if release is None else (rollout, release)


def create_rollout(
    db: Session, version: str, terminals: list[str], regions: list[str], actor: str, ip: str = ""
) -> Rollout:
    """A canary rollout; ValueError for an unknown version, an empty group or unknown terminals."""
    if db.get(SoftwareRelease, version) is None:
        raise ValueError(f"no release {version}")
    terminals = sorted({t for t in terminals if t})
    regions = sorted({r for r in regions if r})
    if not terminals and not regions:
        raise ValueError("a canary group needs at least one terminal or region")
    known = set(db.scalars(select(Terminal.id).where(Terminal.id.in_(terminals)))) if terminals else set()
    unknown = [t for t in terminals if t not in known]
    if unknown:
        raise ValueError(f"unknown terminals: {', '.join(unknown)}")
    row = Rollout(
        version=version,
        state="canary",
        canary_terminals=terminals,
        canary_regions=regions,
        created_by=actor,
        created_at=service.utcnow(),
        halt_reason="",
    )
    db.add(row)
    db.flush()
    service.audit(db, actor, "rollout_create", version, f"#{row.id} terminals={terminals} regions={regions}", ip)
    return row


def promote(db: Session, rollout_id: int, actor: str, ip: str = "") -> Rollout:
    """Offer the rollout's release to every terminal; ValueError unless it is a running canary."""
    row = db.get(Rollout, rollout_id)
    if row is None or row.state != "canary":
        raise ValueError("only a canary rollout can be promoted")
    row.state = "promoted"
    row.promoted_at = service.utcnow()
    service.audit(db, actor, "rollout_promote", row.version, f"#{row.id}", ip)
    return row


def halt(db: Session, rollout_id: int, actor: str, reason: str, ip: str = "") -> Rollout:
    """Stop offering the release (terminals keep what they run); ValueError when already halted."""
    row = db.get(Rollout, rollout_id)
    if row is None or row.state == "halted":
        raise ValueError("no running rollout to halt")
    row.state = "halted"
    row.halted_at = service.utcnow()
    row.halt_reason = reason[:300]
    service.audit(db, actor, "rollout_halt", row.version, f"#{row.id} {reason}"[:500], ip)
    return row


def record_report(db: Session, terminal: Terminal, version: str, step: str, reason: str, ip: str = "") -> bool:
    """Save a terminal's update step; True when it halted the rollout. Idempotent: the same report
    twice changes nothing more (a halted rollout stays halted, the audit says it once)."""
    current = db.get(TerminalUpdate, terminal.id)
    if current is not None and (current.version, current.step, current.reason) == (version, step, reason[:300]):
        return False
    rollout = active_rollout(db)
    rollout_id = rollout.id if rollout is not None and rollout.version == version else None
    if current is None:
        current = TerminalUpdate(terminal_id=terminal.id)
        db.add(current)
    current.version, current.step, current.reason = version, step, reason[:300]
    current.rollout_id, current.at = rollout_id, service.utcnow()
    actor = f"terminal:{terminal.id}"
    service.audit(db, actor, "update_report", terminal.id, f"{version} {step} {reason}"[:500], ip)
    if step in HALTING_STEPS and rollout is not None and rollout_id is not None:
        halt(db, rollout.id, actor, f"{terminal.id} {step}: {reason}", ip)
        logger.warning("rollout halted by a terminal report", extra={"terminal_id": terminal.id, "version": version})
        return True
    return False


@dataclass
class CanaryView:
    terminal_id: str
    region: str
    version: str
    step: str
    reason: str
    at: Any
    app_version: str


def rollout_view(db: Session, rollout: Rollout) -> list[CanaryView]:
    """Each terminal of the canary group (or every terminal once promoted) with its update state."""
    query = select(Terminal)
    if rollout.state != "promoted":
        query = query.where(
            Terminal.id.in_(rollout.canary_terminals or []) | Terminal.region.in_(rollout.canary_regions or [])
        )
    terminals = list(db.scalars(query.order_by(Terminal.id)))
    updates = {u.terminal_id: u for u in db.scalars(select(TerminalUpdate))}
    views = []
    for t in terminals:
        u = updates.get(t.id)
        fleet = db.get(FleetTerminal, t.id)
        state = (fleet.last_state if fleet is not None else None) or {}
        views.append(
            CanaryView(
                t.id,
                t.region,
                u.version if u else "",
                u.step if u else "",
                u.reason if u else "",
                u.at if u else None,
                str(state.get("app_version", "")),
            )
        )
    return views
