"""Console pages of software updates: the published releases, the rollouts with each canary's
update state, and the staff actions on them.

Publishing is by CLI (``python -m server publish-release``); here staff roll a release out to a
canary group (terminal ids and/or region codes), then promote it to every terminal or halt it.
Roles follow the config-push rules (``Principal.can_act_in``): an admin does everything; an
operator may roll out to, and halt, canary groups inside their own regions only, and promotion to
the whole fleet is the admin's. Every action is a CSRF-checked POST, audited in its transaction.
"""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.context import get_db
from server.fleet import releases
from server.fleet.console_base import SECURITY_HEADERS, Staff, csrf_valid, current_staff, refuse, render
from server.fleet.i18n import STRINGS
from server.fleet.release_models import Rollout
from server.models import Terminal

logger = logging.getLogger(__name__)

releases_router = APIRouter()

RELEASE_STRINGS: dict[str, tuple[str, str]] = {
    "releases": ("软件更新", "Software updates"),
    "published_releases": ("已发布版本", "Published releases"),
    "no_releases": (
        "尚无发布的版本（python -m server publish-release）",
        "No release yet (python -m server publish-release)",
    ),
    "release_version": ("版本", "Version"),
    "release_size": ("大小（字节）", "Size (bytes)"),
    "release_notes": ("说明", "Notes"),
    "release_created": ("发布时间", "Published"),
    "new_rollout": ("灰度发布", "Roll out to a canary group"),
    "canary_terminals": ("灰度终端（编号，逗号分隔）", "Canary terminals (ids, comma separated)"),
    "canary_regions": ("灰度区划（代码，逗号分隔）", "Canary regions (codes, comma separated)"),
    "rollouts": ("发布记录", "Rollouts"),
    "rollout_state_canary": ("灰度中", "canary"),
    "rollout_state_promoted": ("已全量", "everyone"),
    "rollout_state_halted": ("已停止", "halted"),
    "promote": ("全量发布", "Promote to all"),
    "halt": ("停止发布", "Halt"),
    "halt_reason": ("停止原因", "Reason"),
    "update_step": ("更新状态", "Update step"),
    "running_version": ("运行版本", "Running"),
    "rollout_invalid": ("发布请求无效", "The rollout request is invalid"),
}
STRINGS.update(RELEASE_STRINGS)
_LIST = re.compile(r"[\s,，]+")
REGION = re.compile(r"^\d{6}$")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def _split(text: str) -> list[str]:
    return [part for part in _LIST.split(text.strip()) if part]


def _may_roll_out(db: Session, staff: Staff, terminals: list[str], regions: list[str]) -> bool:
    """Admin always; an operator only when every canary terminal and region is in their regions."""
    if staff.principal.role == "admin":
        return True
    if staff.principal.role != "operator":
        return False
    if not all(staff.principal.can_act_in(r) for r in regions):
        return False
    found = db.scalars(select(Terminal.region).where(Terminal.id.in_(terminals))) if terminals else []
    return all(staff.principal.can_act_in(r) for r in found)


@releases_router.get("/releases")
def releases_page(request: Request, staff: Staff = Depends(current_staff), db: Session = Depends(get_db)) -> Response:
    rows = releases.rollouts(db)
    return render(
        request,
        "releases.html",
        staff=staff,
        releases=releases.releases(db),
        rollouts=[(r, releases.rollout_view(db, r)) for r in rows],
        active=releases.active_rollout(db),
    )


@releases_router.post("/releases/rollouts")
def create_rollout(
    request: Request,
    version: str = Form(""),
    terminals: str = Form(""),
    regions: str = Form(""),
    csrf: str = Form(""),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    if not csrf_valid(staff, csrf):
        return refuse(request, staff, "csrf_failed")
    terminal_ids, region_codes = _split(terminals), _split(regions)
    if not all(REGION.match(r) for r in region_codes):
        return refuse(request, staff, "rollout_invalid", 422)
    if not _may_roll_out(db, staff, terminal_ids, region_codes):
        return refuse(request, staff, "forbidden")
    try:
        releases.create_rollout(db, version, terminal_ids, region_codes, staff.actor, staff.ip)
    except ValueError as exc:
        logger.info("rollout refused", extra={"user": staff.actor, "detail": str(exc)})
        return refuse(request, staff, "rollout_invalid", 422)
    db.commit()
    return _redirect("/console/releases")


@releases_router.post("/releases/rollouts/{rollout_id}/promote")
def promote_rollout(
    request: Request,
    rollout_id: int,
    csrf: str = Form(""),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    if not csrf_valid(staff, csrf):
        return refuse(request, staff, "csrf_failed")
    if staff.principal.role != "admin":
        return refuse(request, staff, "forbidden")
    try:
        releases.promote(db, rollout_id, staff.actor, staff.ip)
    except ValueError:
        return refuse(request, staff, "rollout_invalid", 409)
    db.commit()
    return _redirect("/console/releases")


@releases_router.post("/releases/rollouts/{rollout_id}/halt")
def halt_rollout(
    request: Request,
    rollout_id: int,
    reason: str = Form(""),
    csrf: str = Form(""),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    if not csrf_valid(staff, csrf):
        return refuse(request, staff, "csrf_failed")
    row = db.get(Rollout, rollout_id)
    if row is None:
        return refuse(request, staff, "not_found", 404)
    allowed = staff.principal.role == "admin" or (
        row.state == "canary" and _may_roll_out(db, staff, row.canary_terminals or [], row.canary_regions or [])
    )
    if not allowed:
        return refuse(request, staff, "forbidden")
    try:
        releases.halt(db, rollout_id, staff.actor, reason.strip()[:200] or "halted by staff", staff.ip)
    except ValueError:
        return refuse(request, staff, "rollout_invalid", 409)
    db.commit()
    return _redirect("/console/releases")
