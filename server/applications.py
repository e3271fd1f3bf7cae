"""Applications (办事) submitted at a terminal, each validated server-side with a status history.

Kinds: 失业登记 ``unemployment_registration``, 失业保险金申领 ``unemployment_benefit`` (≥ 12 paid
months of 失业保险 and registered unemployed), 社保卡临时挂失/解挂 ``card_suspend`` / ``card_resume``,
个人资料修改 ``contact_update``, 异地就医备案 ``medical_filing``, 社保关系转移 ``transfer``.
Submissions carry a client-chosen idempotency key: a retried POST returns the first application.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.ssn import mask_name, mask_ssn
from server.api import SessionId, _as_utc, open_session, session_person
from server.auth import utcnow
from server.certificates import CHINA_TZ, region_name
from server.context import GatewayContext, get_ctx, get_db, get_token_hash
from server.demo_data import REGION_NAMES
from server.errors import TERMINAL_ERROR_RESPONSES, ApiError
from server.models import Application, ApplicationEvent
from server.schemas import IDEMPOTENCY_PATTERN, StrictModel
from server.store.base import PersonRecord, ResidentDataSource

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", responses=TERMINAL_ERROR_RESPONSES, tags=["applications"])

KIND_NAMES = {
    "unemployment_registration": "失业登记",
    "unemployment_benefit": "失业保险金申领",
    "card_suspend": "社保卡临时挂失",
    "card_resume": "社保卡解挂",
    "contact_update": "个人资料修改",
    "medical_filing": "异地就医备案",
    "transfer": "社保关系转移申请",
}
STATUS_NAMES = {"submitted": "已提交", "accepted": "已受理", "completed": "已办结", "rejected": "未通过"}
NEXT_STEPS = {
    "unemployment_registration": ["请在 30 日内到户籍或参保地公共就业服务机构确认就业意向"],
    "unemployment_benefit": ["审核结果将以短信通知", "核准后按月发放至社会保障卡银行账户"],
    "card_suspend": ["临时挂失有效期 5 天，逾期请到服务网点办理正式挂失或解挂"],
    "card_resume": ["社保卡已恢复正常使用"],
    "contact_update": ["资料已更新"],
    "medical_filing": ["备案成功后，在就医地定点医疗机构可直接结算"],
    "transfer": ["转出地与转入地经办机构将在 45 个工作日内完成转移"],
}
MIN_UNEMPLOYMENT_MONTHS = 12
RegionCode = Annotated[str, Field(pattern=r"^\d{6}$")]


class UnemploymentRegistrationForm(StrictModel):
    reason: Literal["合同到期", "单位解除", "主动离职", "其他"]


class EmptyForm(StrictModel):
    pass


class ContactForm(StrictModel):
    phone: str | None = Field(default=None, pattern=r"^1[3-9]\d{9}$")
    address: str | None = Field(default=None, min_length=5, max_length=100)


class MedicalFilingForm(StrictModel):
    target_region: RegionCode
    reason: Literal["异地安置", "异地长期居住", "常驻异地工作", "临时外出就医"]
    start_date: dt.date = Field(strict=False, description="YYYY-MM-DD, today or later")


class TransferForm(StrictModel):
    from_region: RegionCode
    to_region: RegionCode


class _Base(StrictModel):
    idempotency_key: str = Field(pattern=IDEMPOTENCY_PATTERN)


class UnemploymentRegistration(_Base):
    kind: Literal["unemployment_registration"]
    form: UnemploymentRegistrationForm


class UnemploymentBenefit(_Base):
    kind: Literal["unemployment_benefit"]
    form: EmptyForm = Field(default_factory=EmptyForm)


class CardSuspend(_Base):
    kind: Literal["card_suspend"]
    form: EmptyForm = Field(default_factory=EmptyForm)


class CardResume(_Base):
    kind: Literal["card_resume"]
    form: EmptyForm = Field(default_factory=EmptyForm)


class ContactUpdate(_Base):
    kind: Literal["contact_update"]
    form: ContactForm


class MedicalFiling(_Base):
    kind: Literal["medical_filing"]
    form: MedicalFilingForm


class Transfer(_Base):
    kind: Literal["transfer"]
    form: TransferForm


ApplicationRequest = Annotated[
    UnemploymentRegistration
    | UnemploymentBenefit
    | CardSuspend
    | CardResume
    | ContactUpdate
    | MedicalFiling
    | Transfer,
    Field(discriminator="kind"),
]


class StatusEvent(BaseModel):
    status: str
    status_name: str
    note: str
    at: str


class ApplicationOut(BaseModel):
    number: str
    kind: str
    type_name: str
    status: str
    status_name: str
    submitted_at: str
    terminal_id: str | None
    person: dict[str, str]
    fields: list[list[str]]
    history: list[StatusEvent]
    next_steps: list[str]


class ApplicationList(BaseModel):
    items: list[ApplicationOut]


def _number(app: Application) -> str:
    return f"SQ{_as_utc(app.created_at).astimezone(CHINA_TZ):%Y%m%d}{app.id:08d}"


def _out(app: Application, person: PersonRecord) -> ApplicationOut:
    fields = [[k, str(v)] for k, v in app.form.items()]
    return ApplicationOut(
        number=_number(app),
        kind=app.kind,
        type_name=KIND_NAMES.get(app.kind, app.kind),
        status=app.status,
        status_name=STATUS_NAMES.get(app.status, app.status),
        submitted_at=_as_utc(app.created_at).isoformat(),
        terminal_id=app.terminal_id,
        person={"name": mask_name(person.name), "ssn": mask_ssn(person.ssn)},
        fields=fields,
        history=[
            StatusEvent(
                status=e.status,
                status_name=STATUS_NAMES.get(e.status, e.status),
                note=e.note,
                at=_as_utc(e.at).isoformat(),
            )
            for e in app.events
        ],
        next_steps=NEXT_STEPS.get(app.kind, []),
    )


def _refuse(code: str, zh: str, en: str) -> ApiError:
    return ApiError(409, code, zh, en)


def _open_of_kind(db: Session, person_id: int, *kinds: str) -> Application | None:
    return db.scalar(
        select(Application)
        .where(Application.person_id == person_id, Application.kind.in_(kinds), Application.status != "rejected")
        .order_by(Application.id.desc())
    )


def _check_and_apply(db: Session, ctx: GatewayContext, person: PersonRecord, req: Any) -> tuple[str, str]:
    """Validate against the records; perform immediate effects. Returns (final status, note)."""
    source = ctx.source
    current = next((c for c in source.cards(person.ssn) if c.is_current), None)
    if req.kind == "unemployment_registration":
        if person.employment_status == "employed":
            raise _refuse("still_employed", "您当前仍在参保缴费，无法办理失业登记", "Person is still employed")
        if _open_of_kind(db, person.person_id, "unemployment_registration"):
            raise _refuse("already_registered", "您已办理失业登记", "Already registered as unemployed")
        return "accepted", "失业登记已受理"
    if req.kind == "unemployment_benefit":
        registered = (
            person.employment_status == "unemployed"
            or _open_of_kind(db, person.person_id, "unemployment_registration") is not None
        )
        months, _ = source.paid_months(person.ssn, "210")
        if not registered:
            raise _refuse("not_registered_unemployed", "请先办理失业登记", "Register as unemployed first")
        if months < MIN_UNEMPLOYMENT_MONTHS:
            raise _refuse(
                "not_eligible",
                f"失业保险累计缴费 {months} 个月，不满 {MIN_UNEMPLOYMENT_MONTHS} 个月",
                f"Only {months} months of unemployment insurance paid (need {MIN_UNEMPLOYMENT_MONTHS})",
            )
        if _open_of_kind(db, person.person_id, "unemployment_benefit"):
            raise _refuse("already_applied", "您已申领失业保险金", "Benefit already applied for")
        return "submitted", "等待审核"
    if req.kind in ("card_suspend", "card_resume"):
        wanted = ("normal", "temp_lost") if req.kind == "card_suspend" else ("temp_lost", "normal")
        if current is None or current.status != wanted[0]:
            raise _refuse("card_state", "社保卡当前状态不能办理此业务", "The card's status does not allow this")
        source.set_card_status(person.ssn, current.card_number, wanted[1])
        return "completed", "已办结"
    if req.kind == "contact_update":
        if req.form.phone is None and req.form.address is None:
            raise ApiError(422, "invalid_request", "请至少填写电话或地址", "Give a phone number or an address")
        source.update_contact(person.ssn, req.form.phone, req.form.address)
        return "completed", "资料已更新"
    if req.kind == "medical_filing":
        if req.form.target_region not in REGION_NAMES or req.form.target_region == person.region:
            raise ApiError(422, "invalid_region", "就医地不正确", "Unknown or same-region medical target")
        today = dt.datetime.now(CHINA_TZ).date()
        if not today <= req.form.start_date <= today + dt.timedelta(days=365):
            raise ApiError(422, "invalid_date", "开始日期须为今天起一年内", "start_date must be within the next year")
        if not any(e.type_code == "310" and e.status == "active" for e in source.enrolments(person.ssn)):
            raise _refuse("not_insured", "您当前未参加职工医疗保险", "No active medical insurance")
        return "accepted", "备案已受理"
    # transfer
    if req.form.from_region == req.form.to_region or req.form.to_region not in REGION_NAMES:
        raise ApiError(422, "invalid_region", "转入地不正确", "Invalid target region")
    if not _has_region(source, person.ssn, req.form.from_region):
        raise _refuse(
            "no_records_in_region",
            f"您在{region_name(req.form.from_region)}没有参保记录",
            "No insurance records in the source region",
        )
    return "submitted", "等待转出地审核"


def _has_region(source: ResidentDataSource, ssn: str, region: str) -> bool:
    page = source.contributions(ssn, None, None, "110", 1, 10_000)
    return any(c.region == region for c in page.items)


@router.post("/sessions/{session_id}/applications", response_model=ApplicationOut, status_code=201)
def submit(
    body: ApplicationRequest,
    session_id: str = SessionId,
    token_hash: str = Depends(get_token_hash),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> ApplicationOut:
    """Submit an application. The same idempotency_key returns the first submission, unchanged."""
    session = open_session(ctx, token_hash, session_id)
    person = session_person(ctx, session)
    key_filter = (Application.terminal_id == session.terminal_id, Application.idempotency_key == body.idempotency_key)
    existing = db.scalar(select(Application).where(*key_filter))
    if existing is not None:
        if existing.person_id != person.person_id or existing.kind != body.kind:
            raise ApiError(409, "idempotency_conflict", "重复的请求编号", "Idempotency key reused")
        return _out(existing, person)
    status, note = _check_and_apply(db, ctx, person, body)
    now = utcnow()
    app = Application(
        person_id=person.person_id,
        kind=body.kind,
        form=body.form.model_dump(mode="json"),
        status=status,
        terminal_id=session.terminal_id,
        idempotency_key=body.idempotency_key,
        created_at=now,
    )
    app.events.append(ApplicationEvent(status="submitted", note="终端提交", at=now))
    if status != "submitted":
        app.events.append(ApplicationEvent(status=status, note=note, at=now))
    db.add(app)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        existing = db.scalar(select(Application).where(*key_filter))
        if existing is None:
            raise
        return _out(existing, person)
    logger.info(
        "application submitted",
        extra={"terminal_id": session.terminal_id, "kind": body.kind, "ssn": mask_ssn(person.ssn), "status": status},
    )
    return _out(app, person)


@router.get("/sessions/{session_id}/applications", response_model=ApplicationList)
def list_applications(
    session_id: str = SessionId,
    token_hash: str = Depends(get_token_hash),
    db: Session = Depends(get_db),
    ctx: GatewayContext = Depends(get_ctx),
) -> ApplicationList:
    """办事进度: the resident's applications, newest first."""
    session = open_session(ctx, token_hash, session_id)
    person = session_person(ctx, session)
    rows = db.scalars(
        select(Application).where(Application.person_id == person.person_id).order_by(Application.id.desc()).limit(100)
    )
    return ApplicationList(items=[_out(a, person) for a in rows])
