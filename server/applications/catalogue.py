"""The application kinds (the kiosk's service ids), their statuses and how each may move on.

Three lives:
- ``immediate``: the rules pass and the effect is done at once (挂失, 解挂, 个人资料修改,
  养老待遇资格认证): submitted → completed.
- ``review``: staff decide in the console (业务审核): submitted → accepted → completed | rejected.
- ``card``: a card is made: submitted → accepted (已受理) → approved (审核通过) → producing (制卡中)
  → shipped (已寄出, with the courier's tracking number) → collected (已领取); refused from
  accepted or approved.

Kinds renamed since the first release are read under their new id (``LEGACY_KINDS``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

IMMEDIATE, REVIEW, CARD = "immediate", "review", "card"


@dataclass(frozen=True)
class KindSpec:
    id: str
    name: str
    name_en: str
    life: str
    next_steps: tuple[str, ...] = ()


_KINDS = [
    KindSpec(
        "unemployment_registration",
        "失业登记",
        "Unemployment registration",
        REVIEW,
        ("请在 30 日内到户籍或常住地公共就业服务机构确认就业意向",),
    ),
    KindSpec(
        "unemployment_benefit",
        "失业保险金申领",
        "Unemployment insurance benefit",
        REVIEW,
        ("审核结果将以短信通知", "核准后按月发放至社会保障卡银行账户"),
    ),
    KindSpec(
        "unemployment_subsidy",
        "失业补助金申领",
        "Unemployment subsidy",
        REVIEW,
        ("审核结果将以短信通知", "核准后按月发放至社会保障卡银行账户"),
    ),
    KindSpec(
        "unemployment_transfer",
        "失业保险关系转出/转入",
        "Unemployment insurance transfer",
        REVIEW,
        ("转出地与转入地经办机构将在 15 个工作日内完成转移",),
    ),
    KindSpec(
        "pension_transfer",
        "养老保险关系转移",
        "Pension insurance transfer",
        REVIEW,
        ("转出地与转入地经办机构将在 45 个工作日内完成转移",),
    ),
    KindSpec(
        "resident_pension_enrollment",
        "城乡居民养老保险参保登记",
        "Urban and rural residents' pension enrolment",
        REVIEW,
        ("核准后按所选档次缴费，可通过社会保障卡银行账户代扣",),
    ),
    KindSpec(
        "pension_certification",
        "养老待遇资格认证",
        "Pension entitlement certification",
        IMMEDIATE,
        ("本年度认证已完成，养老金继续按月发放",),
    ),
    KindSpec(
        "card_application",
        "社保卡申领",
        "Social security card application",
        CARD,
        ("制卡进度可在终端“社保卡信息”中查询", "寄出后将短信通知快递单号"),
    ),
    KindSpec(
        "card_replacement",
        "补卡/换卡",
        "Card replacement",
        CARD,
        ("制卡进度可在终端“社保卡信息”中查询", "新卡领取后旧卡停止使用"),
    ),
    KindSpec(
        "card_suspend",
        "挂失",
        "Card suspension (reported lost)",
        IMMEDIATE,
        ("临时挂失期满自动解除，需要时请办理正式挂失或补卡",),
    ),
    KindSpec("card_unsuspend", "解挂", "Card unsuspension", IMMEDIATE, ("社保卡已恢复正常使用",)),
    KindSpec("contact_update", "个人资料修改", "Contact details update", IMMEDIATE, ("资料已更新",)),
    KindSpec(
        "medical_filing",
        "异地就医备案",
        "Medical treatment elsewhere (filing)",
        REVIEW,
        ("备案成功后，在就医地定点医疗机构可直接结算",),
    ),
    KindSpec(
        "training_subsidy",
        "职业培训补贴申请",
        "Vocational training subsidy",
        REVIEW,
        ("核准后补贴发放至社会保障卡银行账户",),
    ),
    KindSpec(
        "training_signup",
        "就业创业培训报名",
        "Training sign-up",
        REVIEW,
        ("培训机构将电话联系确认开班时间",),
    ),
    KindSpec(
        "dispute_mediation",
        "劳动人事争议调解申请",
        "Labour dispute mediation",
        REVIEW,
        ("调解组织将在 5 个工作日内联系您",),
    ),
]
KINDS: dict[str, KindSpec] = {k.id: k for k in _KINDS}
LEGACY_KINDS = {"card_resume": "card_unsuspend", "transfer": "pension_transfer"}
KIND_NAMES = {k.id: k.name for k in _KINDS}

STATUS_NAMES: dict[str, tuple[str, str]] = {
    "submitted": ("已提交", "Submitted"),
    "accepted": ("已受理", "Accepted"),
    "approved": ("审核通过", "Approved"),
    "producing": ("制卡中", "Card being made"),
    "shipped": ("已寄出", "Shipped"),
    "collected": ("已领取", "Collected"),
    "completed": ("已办结", "Completed"),
    "rejected": ("未通过", "Refused"),
}
# Statuses staff still have to act on, per life: the 业务审核 queue.
WAITING = ("accepted", "approved", "producing", "shipped")
FINAL = ("completed", "collected", "rejected")
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    IMMEDIATE: {},
    REVIEW: {"accepted": ("completed", "rejected")},
    CARD: {
        "accepted": ("approved", "rejected"),
        "approved": ("producing", "rejected"),
        "producing": ("shipped",),
        "shipped": ("collected",),
    },
}


def canonical_kind(kind: str) -> str:
    """The current id of ``kind`` (an old id of a renamed kind reads as the new one)."""
    return LEGACY_KINDS.get(kind, kind)


def spec(kind: str) -> KindSpec:
    """The kind's spec; an unknown stored kind gets a bare one (no transitions)."""
    found = KINDS.get(canonical_kind(kind))
    return found or KindSpec(kind, kind, kind, IMMEDIATE)


def status_name(status: str, lang: str = "zh") -> str:
    pair = STATUS_NAMES.get(status)
    if pair is None:
        return status
    return pair[1] if lang == "en" else pair[0]


def next_statuses(kind: str, status: str) -> tuple[str, ...]:
    """Where staff may move an application of ``kind`` from ``status``."""
    return TRANSITIONS[spec(kind).life].get(status, ())
