"""Software releases, their rollouts and each terminal's update state (migration 0008).

Everything lives in the database, not on one gateway's disk, so any of several gateway processes
serves any terminal:

- ``SoftwareRelease``: one published version (``python -m server publish-release``): sha256,
  size, creation time and notes; its bytes sit in ``ReleaseArtefact`` so listing releases never
  loads them.
- ``Rollout``: staff's decision to give a release to a canary group (terminal ids and/or region
  codes), then to everyone (``promoted``), or to stop (``halted``, by staff or by a canary that
  rolled back). The newest rollout that is not halted decides what a terminal is offered.
- ``TerminalUpdate``: the last step each terminal reported (downloading … healthy, rolled_back,
  refused) with its reason; the console shows it per rollout.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base

logger = logging.getLogger(__name__)

ROLLOUT_STATES = ("canary", "promoted", "halted")


class SoftwareRelease(Base):
    __tablename__ = "software_releases"
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created: Mapped[str] = mapped_column(String(40))  # ISO-8601 UTC, as signed in the manifest
    notes: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[str] = mapped_column(String(64))


class ReleaseArtefact(Base):
    __tablename__ = "release_artefacts"
    version: Mapped[str] = mapped_column(ForeignKey("software_releases.version", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Rollout(Base):
    __tablename__ = "release_rollouts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(ForeignKey("software_releases.version", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="canary")
    canary_terminals: Mapped[list[str]] = mapped_column(JSON, default=list)
    canary_regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    promoted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    halted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    halt_reason: Mapped[str] = mapped_column(String(300), default="")


class TerminalUpdate(Base):
    __tablename__ = "terminal_updates"
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300), default="")
    rollout_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
