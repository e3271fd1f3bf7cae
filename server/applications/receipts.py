"""What the terminal shows of an application: the 回执 and the rows of 办事进度 (``ApplicationOut``).

The resident is shown masked; form values under their Chinese labels (choices spelled out), then
what the rules computed (``Application.details``; keys with a leading underscore stay internal).
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from common.ssn import mask_name, mask_ssn
from server.api import _as_utc
from server.applications.catalogue import canonical_kind, spec, status_name
from server.certificates import CHINA_TZ
from server.models import Application
from server.reference.divisions import full_name
from server.store.base import PersonRecord

logger = logging.getLogger(__name__)

FIELD_LABELS = {
    "reason": "原因",
    "route": "登记途径",
    "able_to_work": "具有劳动能力",
    "willing_to_work": "有就业要求",
    "job_seeking": "有求职要求",
    "direction": "转移方向",
    "from_region": "转出地",
    "to_region": "转入地",
    "grade": "缴费档次",
    "bank": "合作银行",
    "delivery": "领卡方式",
    "address": "地址",
    "mode": "挂失方式",
    "phone": "联系电话",
    "address_region": "所在地区",
    "target_region": "就医地",
    "start_date": "开始日期",
    "hospital_code": "定点医疗机构编码",
    "certificate_number": "证书编号",
    "course_id": "培训班编号",
    "respondent": "被申请人",
    "category": "争议类型",
    "description": "事实与请求",
    "occurred_on": "争议发生日期",
    "claim_yuan": "请求金额（元）",
}
VALUE_NAMES = {
    "hukou": "户籍地",
    "residence_permit": "居住证（常住地）",
    "out": "转出",
    "in": "转入",
    "pickup": "网点领取",
    "mail": "邮寄",
    "temporary": "临时挂失",
    "formal": "正式挂失",
    "lost": "遗失",
    "damaged": "损坏",
    "expired": "到期",
    "info_change": "信息变更",
    True: "是",
    False: "否",
}
REGION_FIELDS = ("from_region", "to_region", "target_region", "address_region")
# Already spelled out in ``details`` by the rules: not repeated.
HIDDEN_WHEN_DETAILED = {"route", "mode", "delivery", "bank", "photo"}
# Spelled out by the rules under another label: the form's row would say it twice.
RESTATED = {"业务": "reason"}


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


def application_number(app: Application) -> str:
    return f"SQ{_as_utc(app.created_at).astimezone(CHINA_TZ):%Y%m%d}{app.id:08d}"


def _value(key: str, value: Any) -> str:
    if key in REGION_FIELDS and isinstance(value, str):
        return full_name(value)
    if isinstance(value, bool) or value in VALUE_NAMES:
        return VALUE_NAMES.get(value, str(value))
    return str(value)


def field_rows(app: Application) -> list[list[str]]:
    """``[label, value]`` rows: the form, then what the rules and staff recorded."""
    details = {k: v for k, v in (app.details or {}).items() if not k.startswith("_")}
    hidden = (HIDDEN_WHEN_DETAILED if details else set()) | {RESTATED[k] for k in details if k in RESTATED}
    rows = [[FIELD_LABELS.get(k, k), _value(k, v)] for k, v in app.form.items() if v is not None and k not in hidden]
    rows.extend([k, str(v)] for k, v in details.items())
    return rows


def application_out(app: Application, person: PersonRecord) -> ApplicationOut:
    kind = canonical_kind(app.kind)
    return ApplicationOut(
        number=application_number(app),
        kind=kind,
        type_name=spec(kind).name,
        status=app.status,
        status_name=status_name(app.status),
        submitted_at=_as_utc(app.created_at).isoformat(),
        terminal_id=app.terminal_id,
        person={"name": mask_name(person.name), "ssn": mask_ssn(person.ssn)},
        fields=field_rows(app),
        history=[
            StatusEvent(status=e.status, status_name=status_name(e.status), note=e.note, at=_as_utc(e.at).isoformat())
            for e in app.events
        ],
        next_steps=list(spec(kind).next_steps),
    )
