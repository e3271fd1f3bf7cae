"""Staff console pages: login, dashboard, terminal page (health, effective config, commands), terminal
registration and revocation. Profiles, audit log and certificate look-up are in ``console_profiles``.

Every POST carries the session's CSRF token; a missing or wrong one is refused with 403 before
anything happens. Role checks: ``Principal.can_act_in`` (operator: own regions; viewer: never).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from common.errors import ConfigError
from common.fleet_protocol import COMMAND_KINDS
from server.context import get_db
from server.fleet import service
from server.fleet.console_base import (
    LANG_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    Staff,
    csrf_valid,
    current_staff,
    refuse,
    render,
)
from server.fleet.console_profiles import profiles_router
from server.fleet.console_releases import releases_router
from server.fleet.console_review import review_router
from server.fleet.models import FleetCommand, Heartbeat
from server.fleet.profiles import defaults, flatten, format_field
from server.fleet.signing import effective_config
from server.fleet.staff import check_password, close_session, csrf_ok, open_session, trusted_address
from server.fleet.state import FleetState, client_ip, flush_beats, get_fleet
from server.models import Terminal
from server.terminal_limits import recent_alerts

logger = logging.getLogger(__name__)

console_router = APIRouter(prefix="/console", include_in_schema=False)
LOGIN_CSRF_COOKIE = "fleet_login_csrf"


def _safe_next(target: str | None) -> str:
    # Only local console paths: an open redirect would make a phishing link look like ours.
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console/"


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


@console_router.get("/login")
def login_page(
    request: Request, next: str | None = Query(default=None), fleet: FleetState = Depends(get_fleet)
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", login_csrf=token, next=_safe_next(next), error=None)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/console", secure=fleet.secure_cookies
    )
    return response


@console_router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/console/"),
    db: Session = Depends(get_db),
    fleet: FleetState = Depends(get_fleet),
) -> Response:
    """Double-submit CSRF (cookie = field), rate limit per address and back-off per username (the
    attempt reserved first: ``LoginLimiter.attempt``; an address this account logged in from before
    is exempt from the username's back-off), then argon2."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf_ok(cookie, csrf):  # compares bytes: a non-ASCII field must be a 403, not a 500
        return refuse(request, None, "csrf_failed")
    ip = client_ip(request)
    keys = (f"user:{username.lower()}", f"ip:{ip}")
    # Recorded as a failure before the password is checked (withdrawn below when it is right), so
    # attempts running at the same time, here or in another worker, all count against the limit.
    trusted = trusted_address(db, username, ip)
    db.commit()  # the look-up's transaction ends: the limiter's decision is a transaction of its own
    attempt = fleet.limiter.attempt(db, *keys, trusted=trusted)
    if attempt.blocked:
        service.audit(db, username[:64] or "?", "login_limited", "", "", ip)
        db.commit()
        return render(
            request, "login.html", status_code=429, login_csrf=cookie, next=_safe_next(next), error="login_limited"
        )
    user = check_password(db, username, password)
    if user is None:
        service.audit(db, username[:64] or "?", "login_failed", "", "", ip)
        db.commit()
        return render(
            request, "login.html", status_code=401, login_csrf=cookie, next=_safe_next(next), error="login_failed"
        )
    fleet.limiter.succeeded(db, keys[0], attempt)
    token, _session = open_session(db, user, ip)
    service.audit(db, user.username, "login", "", user.role, ip)
    db.commit()
    response = _redirect(_safe_next(next))
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict", path="/console", secure=fleet.secure_cookies
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@console_router.post("/logout")
def logout(
    request: Request, csrf: str = Form(""), staff: Staff = Depends(current_staff), db: Session = Depends(get_db)
) -> Response:
    if not csrf_valid(staff, csrf):
        return refuse(request, staff, "csrf_failed")
    close_session(db, request.cookies.get(SESSION_COOKIE))
    service.audit(db, staff.actor, "logout", "", "", staff.ip)
    db.commit()
    response = _redirect("/console/login")
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@console_router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str | None = Query(default=None)) -> Response:
    response = _redirect(_safe_next(next))
    response.set_cookie(LANG_COOKIE, lang if lang in ("zh", "en") else "zh", samesite="lax", path="/console")
    return response


@console_router.get("/")
def dashboard(
    request: Request,
    region: str | None = Query(default=None, pattern=r"^\d{6}$"),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    flush_beats(db, staff.fleet)
    views = service.list_terminals(db, staff.fleet.heartbeat_interval, region)
    counts: dict[str, int] = {}
    for view in views:
        counts[view.state] = counts.get(view.state, 0) + 1
    # Terminals that ran into the session-start or failed-card-proof limits (a stolen token, most likely).
    shown = {view.terminal.id for view in views}
    auth_alerts = [alert for alert in recent_alerts(db) if alert.terminal_id in shown]
    return render(
        request,
        "dashboard.html",
        staff=staff,
        views=views,
        counts=counts,
        region=region or "",
        paper=[v for v in views if v.paper in service.PAPER_WARNINGS],
        offline=[v for v in views if v.state == "offline"],
        auth_alerts=auth_alerts,
        code=None,
    )


@console_router.post("/terminals")
def register(
    request: Request,
    terminal_id: str = Form(""),
    region: str = Form(""),
    site: str = Form(""),
    address: str = Form(""),
    csrf: str = Form(""),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    if not csrf_valid(staff, csrf):
        return refuse(request, staff, "csrf_failed")
    if not staff.principal.can_act_in(region.strip()):
        return refuse(request, staff, "forbidden")
    existing = db.get(Terminal, terminal_id.strip())
    if existing is not None and not staff.principal.can_act_in(existing.region):
        return refuse(request, staff, "forbidden")
    try:
        code = service.register_terminal(
            db, terminal_id.strip(), region.strip(), site.strip(), address.strip(), staff.actor, staff.ip
        )
    except ValueError as exc:
        db.rollback()
        return render(request, "message.html", status_code=422, staff=staff, message_key="", text=str(exc))
    db.commit()
    staff.fleet.versions.invalidate()
    staff.fleet.directory.invalidate()
    return render(request, "enrol_code.html", staff=staff, terminal_id=terminal_id.strip(), code=code)


def _terminal_context(db: Session, staff: Staff, terminal: Terminal) -> dict[str, Any]:
    fleet = service.fleet_row(db, terminal.id)
    state = service.terminal_state(terminal, fleet, staff.fleet.heartbeat_interval)
    history = list(
        db.scalars(
            select(Heartbeat).where(Heartbeat.terminal_id == terminal.id).order_by(Heartbeat.id.desc()).limit(30)
        )
    )
    commands = list(
        db.scalars(
            select(FleetCommand)
            .where(FleetCommand.terminal_id == terminal.id)
            .order_by(FleetCommand.id.desc())
            .limit(30)
        )
    )
    rows: list[tuple[str, str, str]] = []
    config_error = None
    version = None
    try:
        eff = effective_config(db, terminal, fleet)
        version = eff.version
        remote = flatten(eff.config)
        for key, default in flatten(defaults()).items():
            if key in remote:
                rows.append((key, format_field(remote[key]), eff.origin[key]))
            else:
                rows.append((key, format_field(default), ""))
    except ConfigError as exc:
        config_error = exc.detail
    return {
        "terminal": terminal,
        "fleet": fleet,
        "state": state,
        "history": history,
        "commands": commands,
        "config_rows": rows,
        "config_version": version,
        "config_error": config_error,
        "command_kinds": COMMAND_KINDS,
        "can_act": staff.principal.can_act_in(terminal.region),
        "paper": service.paper_state(fleet.last_state),
    }


@console_router.get("/terminals/{terminal_id}")
def terminal_page(
    request: Request, terminal_id: str, staff: Staff = Depends(current_staff), db: Session = Depends(get_db)
) -> Response:
    flush_beats(db, staff.fleet)
    terminal = db.get(Terminal, terminal_id)
    if terminal is None:
        return refuse(request, staff, "not_found", 404)
    context = _terminal_context(db, staff, terminal)
    db.commit()
    return render(request, "terminal.html", staff=staff, **context)


def _refuse_terminal_action(
    request: Request, staff: Staff, db: Session, terminal_id: str, csrf: str
) -> Response | None:
    """The checks every action on one terminal needs (CSRF, the terminal exists, the staff member's
    region); the refusal page, or None when the action may go ahead."""
    if not csrf_valid(staff, csrf):
        return refuse(request, staff, "csrf_failed")
    terminal = db.get(Terminal, terminal_id)
    if terminal is None:
        return refuse(request, staff, "not_found", 404)
    if not staff.principal.can_act_in(terminal.region):
        return refuse(request, staff, "forbidden")
    return None


@console_router.post("/terminals/{terminal_id}/commands")
def send_command(
    request: Request,
    terminal_id: str,
    kind: str = Form(""),
    csrf: str = Form(""),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    refusal = _refuse_terminal_action(request, staff, db, terminal_id, csrf)
    if refusal is not None:
        return refusal
    if kind not in COMMAND_KINDS:
        return refuse(request, staff, "not_found", 422)
    service.queue_command(db, terminal_id, kind, staff.actor, staff.ip)
    db.commit()
    staff.fleet.commands.invalidate()
    return _redirect(f"/console/terminals/{terminal_id}")


@console_router.post("/terminals/{terminal_id}/revoke")
def revoke(
    request: Request,
    terminal_id: str,
    csrf: str = Form(""),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    refusal = _refuse_terminal_action(request, staff, db, terminal_id, csrf)
    if refusal is not None:
        return refusal
    service.revoke_terminal(db, terminal_id, staff.actor, staff.ip)
    db.commit()
    staff.fleet.directory.invalidate()  # refused from the next request on; other workers within a second
    return _redirect(f"/console/terminals/{terminal_id}")


console_router.include_router(profiles_router)
console_router.include_router(review_router)  # 业务审核 (server.fleet.console_review)
console_router.include_router(releases_router)  # 软件更新 (server.fleet.console_releases)
