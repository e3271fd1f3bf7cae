"""Shared plumbing of the staff console: templates, the logged-in staff member, CSRF, responses.

Pages are server-rendered Jinja2 with no JavaScript; a strict Content-Security-Policy forbids
scripts entirely. A request without a valid session is redirected (303) to the login page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from server.context import get_db
from server.fleet.i18n import LANGS, translate
from server.fleet.models import StaffSession
from server.fleet.service import as_utc
from server.fleet.staff import Principal, csrf_ok, session_for
from server.fleet.state import FleetState, client_ip, get_fleet

logger = logging.getLogger(__name__)

SESSION_COOKIE = "fleet_session"
LANG_COOKIE = "fleet_lang"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _fmt_time(value: Any) -> str:
    if value is None:
        return "—"
    return as_utc(value).strftime("%Y-%m-%d %H:%M:%S UTC")


_env.filters["time"] = _fmt_time


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "zh")
    return lang if lang in LANGS else "zh"


@dataclass
class Staff:
    """The logged-in staff member of a console request."""

    principal: Principal
    session: StaffSession
    lang: str
    ip: str
    fleet: FleetState

    @property
    def actor(self) -> str:
        return self.principal.username


def current_staff(request: Request, db: Session = Depends(get_db), fleet: FleetState = Depends(get_fleet)) -> Staff:
    found = session_for(db, request.cookies.get(SESSION_COOKIE))
    if found is None:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")
        raise HTTPException(status_code=303, headers={"Location": f"/console/login?next={target}"})
    session, user = found
    return Staff(
        Principal(user.username, user.role, tuple(user.regions or ())),
        session,
        lang_of(request),
        client_ip(request),
        fleet,
    )


def render(
    request: Request, template: str, status_code: int = 200, staff: Staff | None = None, **context: Any
) -> HTMLResponse:
    lang = staff.lang if staff else lang_of(request)
    html = _env.get_template(template).render(
        t=lambda key: translate(key, lang),
        lang=lang,
        staff=staff,
        path=request.url.path,
        csrf=staff.session.csrf_token if staff else context.pop("login_csrf", ""),
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def refuse(request: Request, staff: Staff | None, message_key: str, status_code: int = 403) -> HTMLResponse:
    logger.warning(
        "console refusal", extra={"reason": message_key, "path": request.url.path, "user": staff.actor if staff else ""}
    )
    return render(request, "message.html", status_code=status_code, staff=staff, message_key=message_key)


def csrf_valid(staff: Staff, given: str | None) -> bool:
    return csrf_ok(staff.session.csrf_token, given)
