"""Console pages for config profiles (editor, diff, rollback), the audit log and certificate look-up.

The editor shows the keys of ``config/default.toml`` a profile may set (``common.config.REMOTE_KEYS``;
endpoints and devices are local to each terminal, and a form naming one is refused); an empty
field inherits from the layer below. Saving validates with the kiosk's own schema and, when
refused, shows each error next to its field and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.ssn import mask_name, mask_ssn
from server.context import get_db
from server.fleet import service
from server.fleet.console_base import SECURITY_HEADERS, Staff, csrf_valid, current_staff, refuse, render
from server.fleet.models import SCOPES, AuditEntry, ConfigProfile
from server.fleet.profiles import (
    LOCAL_ONLY_KEYS,
    ProfileInvalid,
    check_scope,
    current_profile,
    defaults,
    diff,
    flatten,
    format_field,
    parse_field,
    profile_history,
    rollback_profile,
    save_profile,
    unflatten,
)
from server.models import Certificate, Terminal

logger = logging.getLogger(__name__)

profiles_router = APIRouter()
FIELD_PREFIX = "f."


def _editable_fields() -> list[tuple[str, Any]]:
    return [(k, v) for k, v in flatten(defaults()).items() if k not in LOCAL_ONLY_KEYS]


def _may_edit(db: Session, staff: Staff, scope: str, key: str) -> bool:
    region = None
    if scope == "terminal":
        terminal = db.get(Terminal, key)
        region = terminal.region if terminal else None
    return staff.principal.can_edit_scope(scope, key, region)


def _scope_ok(scope: str, key: str) -> bool:
    try:
        check_scope(scope, key)
    except ValueError:
        return False
    return len(key) <= 80


@profiles_router.get("/profiles")
def profile_list(request: Request, staff: Staff = Depends(current_staff), db: Session = Depends(get_db)) -> Response:
    newest = (
        select(ConfigProfile.scope, ConfigProfile.scope_key, func.max(ConfigProfile.version).label("v"))
        .group_by(ConfigProfile.scope, ConfigProfile.scope_key)
        .subquery()
    )
    rows = list(
        db.scalars(
            select(ConfigProfile)
            .join(
                newest,
                (ConfigProfile.scope == newest.c.scope)
                & (ConfigProfile.scope_key == newest.c.scope_key)
                & (ConfigProfile.version == newest.c.v),
            )
            .order_by(ConfigProfile.scope, ConfigProfile.scope_key)
        )
    )
    return render(request, "profiles.html", staff=staff, profiles=rows, scopes=SCOPES)


def _editor(
    request: Request,
    db: Session,
    staff: Staff,
    scope: str,
    key: str,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    saved: int | None = None,
    comment: str = "",
) -> Response:
    history = profile_history(db, scope, key)
    fields = [(k, format_field(v), values.get(k, ""), errors.get(k)) for k, v in _editable_fields()]
    return render(
        request,
        "profile_edit.html",
        status_code=status_code,
        staff=staff,
        scope=scope,
        key=key,
        fields=fields,
        errors=errors,
        history=history,
        saved=saved,
        comment=comment,
        can_edit=_may_edit(db, staff, scope, key),
        other_errors={k: v for k, v in errors.items() if k not in dict(_editable_fields())},
    )


@profiles_router.get("/profiles/edit")
def edit_profile(
    request: Request,
    scope: str = Query("global"),
    key: str = Query(""),
    saved: int | None = Query(default=None),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    if not _scope_ok(scope, key):
        return refuse(request, staff, "not_found", 404)
    current = current_profile(db, scope, key)
    values = {k: format_field(v) for k, v in flatten(current.values).items()} if current else {}
    return _editor(request, db, staff, scope, key, values, {}, saved=saved)


@profiles_router.post("/profiles/edit")
async def save_profile_form(
    request: Request, staff: Staff = Depends(current_staff), db: Session = Depends(get_db)
) -> Response:
    form = await request.form()
    scope, key = str(form.get("scope", "")), str(form.get("key", "")).strip()
    if not csrf_valid(staff, str(form.get("csrf", ""))):
        return refuse(request, staff, "csrf_failed")
    if not _scope_ok(scope, key):
        return refuse(request, staff, "not_found", 404)
    if not _may_edit(db, staff, scope, key):
        return refuse(request, staff, "forbidden")
    # Every key of the schema is parsed, not only the editable ones: a local-only key (an endpoint
    # or a device) sent by a crafted form is refused by save_profile with its reason, not dropped.
    defaults_flat = flatten(defaults())
    raw: dict[str, str] = {}
    for name, value in form.items():
        dotted = name[len(FIELD_PREFIX) :] if name.startswith(FIELD_PREFIX) else None
        if dotted in defaults_flat and str(value).strip():
            raw[dotted] = str(value).strip()
    parsed = {k: parse_field(v, defaults_flat[k]) for k, v in raw.items()}
    comment = str(form.get("comment", ""))[:200]
    try:
        row = save_profile(db, scope, key, unflatten(parsed), staff.actor, comment)
    except ProfileInvalid as exc:
        db.rollback()
        return _editor(request, db, staff, scope, key, raw, exc.errors, status_code=422, comment=comment)
    service.audit(
        db,
        staff.actor,
        "profile_save",
        f"{scope}:{key}" if key else scope,
        f"v{row.version} {'; '.join(f'{k}={v!r}' for k, v in sorted(parsed.items()))}"[:2000],
        staff.ip,
    )
    db.commit()
    staff.fleet.versions.invalidate()
    return RedirectResponse(
        f"/console/profiles/edit?scope={scope}&key={key}&saved={row.version}", status_code=303, headers=SECURITY_HEADERS
    )


@profiles_router.get("/profiles/diff")
def diff_page(
    request: Request,
    scope: str = Query(...),
    key: str = Query(""),
    a: int = Query(..., ge=0),
    b: int = Query(..., ge=1),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    versions = {row.version: row for row in profile_history(db, scope, key)}
    if b not in versions or (a != 0 and a not in versions):
        return refuse(request, staff, "not_found", 404)
    old = versions[a].values if a else {}
    return render(
        request, "profile_diff.html", staff=staff, scope=scope, key=key, a=a, b=b, changes=diff(old, versions[b].values)
    )


@profiles_router.post("/profiles/rollback")
async def rollback(request: Request, staff: Staff = Depends(current_staff), db: Session = Depends(get_db)) -> Response:
    form = await request.form()
    scope, key = str(form.get("scope", "")), str(form.get("key", ""))
    if not csrf_valid(staff, str(form.get("csrf", ""))):
        return refuse(request, staff, "csrf_failed")
    if not _scope_ok(scope, key):
        return refuse(request, staff, "not_found", 404)
    if not _may_edit(db, staff, scope, key):
        return refuse(request, staff, "forbidden")
    try:
        row = rollback_profile(db, scope, key, int(str(form.get("version", "0"))), staff.actor)
    except (LookupError, ValueError, ProfileInvalid):
        db.rollback()
        return refuse(request, staff, "not_found", 404)
    service.audit(
        db,
        staff.actor,
        "profile_rollback",
        f"{scope}:{key}" if key else scope,
        f"v{row.version} = {row.comment}",
        staff.ip,
    )
    db.commit()
    staff.fleet.versions.invalidate()
    return RedirectResponse(
        f"/console/profiles/edit?scope={scope}&key={key}&saved={row.version}", status_code=303, headers=SECURITY_HEADERS
    )


def _parse_date(text: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC) if text else None
    except ValueError:
        return None


@profiles_router.get("/audit")
def audit_log(
    request: Request,
    actor: str = Query(""),
    action: str = Query(""),
    target: str = Query(""),
    since: str = Query(""),
    until: str = Query(""),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target.contains(target))
    start, end = _parse_date(since), _parse_date(until)
    if start:
        query = query.where(AuditEntry.at >= start)
    if end:
        query = query.where(AuditEntry.at < end + dt.timedelta(days=1))
    rows = list(db.scalars(query.order_by(AuditEntry.id.desc()).limit(500)))
    actions = list(db.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    return render(
        request,
        "audit.html",
        staff=staff,
        rows=rows,
        actions=actions,
        filters={"actor": actor, "action": action, "target": target, "since": since, "until": until},
    )


@profiles_router.get("/certificates")
def certificate_lookup(
    request: Request,
    serial: str = Query(""),
    code: str = Query(""),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    """The verification desk: is this printed certificate one we issued, and does its code match?"""
    cert = db.get(Certificate, serial.strip().upper()) if serial.strip() else None
    view = None
    if cert is not None:
        person = (cert.content or {}).get("person") or {}
        view = {
            "serial": cert.serial,
            "kind": cert.kind,
            "issued_at": cert.issued_at,
            "terminal": cert.terminal_id,
            "holder": f"{mask_name(str(person.get('name', '')))} {mask_ssn(cert.ssn)}",
            "period": f"{cert.period_from or ''} – {cert.period_to or ''}",
            "hash": cert.content_hash,
            "reprints": cert.reprint_count,
            "code_ok": (code.strip().upper() == cert.verification_code.upper()) if code.strip() else None,
        }
    if serial.strip():
        service.audit(
            db, staff.actor, "certificate_lookup", serial.strip()[:24], "found" if cert else "not found", staff.ip
        )
        db.commit()
    return render(
        request, "certificates.html", staff=staff, serial=serial, code=code, cert=view, searched=bool(serial.strip())
    )
