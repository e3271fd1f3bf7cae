"""Console pages of 业务审核 (staff review): the queue of waiting applications in the staff
member's regions, one application with the resident's data masked by role, and decisions.

Every decision is a CSRF-checked POST, refused (403) for viewers and for operators of another
region, written with its audit entry; the resident sees it at once in 办事进度 and is told by the
notification outbox (server.applications.review). Seeing a resident's data in full is audited.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from server.applications import review
from server.applications.catalogue import KINDS, status_name
from server.context import GatewayContext, get_ctx, get_db
from server.fleet.console_base import SECURITY_HEADERS, Staff, csrf_valid, current_staff, refuse, render
from server.fleet.i18n import STRINGS

logger = logging.getLogger(__name__)

review_router = APIRouter()

# The page's strings join the console's catalogue (简体中文, English).
REVIEW_STRINGS: dict[str, tuple[str, str]] = {
    "review": ("业务审核", "Applications"),
    "review_queue": ("待审核业务", "Waiting for review"),
    "review_empty": ("没有待审核的业务", "Nothing is waiting"),
    "all_kinds": ("全部业务", "All kinds"),
    "all_regions": ("全部区划", "All regions"),
    "application_number": ("申请编号", "Number"),
    "application_kind": ("业务类型", "Kind"),
    "submitted_at": ("提交时间", "Submitted"),
    "applicant": ("申请人", "Applicant"),
    "ssn": ("社会保障号码", "ID number"),
    "phone": ("联系电话", "Phone"),
    "masked_hint": ("查看者账号只显示脱敏信息", "Viewer accounts see masked data only"),
    "form_fields": ("申请内容", "Application"),
    "status_history": ("办理记录", "History"),
    "notifications": ("通知记录", "Notifications"),
    "note": ("说明", "Note"),
    "decide": ("审核决定", "Decision"),
    "move_approved": ("审核通过", "Approve"),
    "move_completed": ("审核通过（办结）", "Approve (complete)"),
    "move_rejected": ("不予通过", "Refuse"),
    "move_producing": ("开始制卡", "Card being made"),
    "move_shipped": ("已寄出", "Shipped"),
    "move_collected": ("已领取", "Collected"),
    "refuse_reason": ("不予通过的理由（将告知申请人）", "Reason of the refusal (told to the resident)"),
    "tracking_number": ("快递单号", "Tracking number"),
    "decided": ("已记录审核决定", "Decision recorded"),
    "review_not_allowed": ("该业务当前状态不能执行此操作", "The application's status does not allow this"),
    "review_reason_required": ("不予通过须填写理由", "A refusal needs a reason"),
    "review_tracking_required": ("寄出须填写快递单号", "Shipping needs a tracking number"),
    "notify_pending": ("待发送", "pending"),
    "notify_sent": ("已发送", "sent"),
    "notify_failed": ("发送失败", "failed"),
    "notify_no_recipient": ("无手机号", "no phone number"),
    "waiting_count": ("待审核", "waiting"),
}
STRINGS.update(REVIEW_STRINGS)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


@review_router.get("/review")
def review_queue(
    request: Request,
    region: str | None = Query(default=None, pattern=r"^\d{6}$"),
    kind: str | None = Query(default=None, pattern=r"^[a-z_]{1,32}$"),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
) -> Response:
    rows = review.queue(db, staff.principal, region, kind, staff.lang)
    counts = review.waiting_counts(db, staff.principal)
    db.commit()
    kinds = [(k.id, k.name_en if staff.lang == "en" else k.name, counts.get(k.id, 0)) for k in KINDS.values()]
    regions = sorted({row.region for row in rows} | set(staff.principal.regions))
    return render(
        request,
        "review.html",
        staff=staff,
        rows=rows,
        kinds=kinds,
        regions=regions,
        filters={"region": region or "", "kind": kind or ""},
        masked=staff.principal.role == "viewer",
    )


@review_router.get("/review/{app_id}")
def review_detail(
    request: Request,
    app_id: int,
    done: str | None = Query(default=None, pattern=r"^[a-z]{1,16}$"),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> Response:
    if not 0 < app_id < 2**31:
        return refuse(request, staff, "not_found", 404)
    shown = review.detail(db, ctx.source, staff.principal, app_id, staff.lang)
    if shown is None:
        return refuse(request, staff, "not_found", 404)
    if shown.full:
        review.audit_view(db, staff.principal, shown.number, staff.ip)
    db.commit()
    done_name = status_name(done, staff.lang) if done else None
    return render(request, "review_detail.html", staff=staff, app=shown, done=done_name)


@review_router.post("/review/{app_id}/decide")
def decide(
    request: Request,
    app_id: int,
    to: str = Form(""),
    reason: str = Form(""),
    tracking: str = Form(""),
    csrf: str = Form(""),
    staff: Staff = Depends(current_staff),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> Response:
    if not csrf_valid(staff, csrf):
        return refuse(request, staff, "csrf_failed")
    if not 0 < app_id < 2**31:
        return refuse(request, staff, "not_found", 404)
    try:
        review.decide(
            db, ctx.source, staff.principal, app_id, to, reason=reason, tracking_number=tracking, source_ip=staff.ip
        )
    except review.ReviewForbidden:
        db.rollback()
        return refuse(request, staff, "forbidden")
    except review.TransitionRefused as exc:
        db.rollback()
        return refuse(request, staff, f"review_{exc.code}", 409)
    db.commit()
    return _redirect(f"/console/review/{app_id}?done={to}")
