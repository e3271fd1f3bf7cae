"""Rules of 社保卡申领, 补卡/换卡, 挂失 (临时/正式) and 解挂.

- 社保卡申领: 16 or over (under 16 a guardian applies at a counter: refused here with that
  reason), normally insured (an active enrolment), no card being made, no card held (a lost one is
  补卡). A card row (已申请) is made with the application.
- 补卡/换卡: 16 or over, a current card, none being made; 补卡 (lost) after 挂失 (a 临时挂失 becomes
  正式), 换卡 (damaged, expiring within 90 days, details changed) of a card in normal use.
- 挂失: a current card; 临时挂失 of a card in normal use lapses after the configured days (it reads
  as normal again), 正式挂失 (of a normal or temporarily suspended card) does not.
- 解挂: a 临时挂失 card; a 正式挂失 cannot be lifted (补卡 instead).
Mailing a card needs an address. 申领 and 补卡/换卡 need the card's photo: one the terminal took in
this session (``photo:<id>``, server.card_photos: this person's, this session's, not used by
another application) or a photo studio's 数码照片回执号; its reference goes into the details so
staff see which photo the card is to be made with.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import update

from common.ssn import mask_card_number
from server.applications.applicant import MIN_WORKING_AGE, Applicant, Decision, invalid, refuse
from server.card_photos import PHOTO_PREFIX
from server.certificates import CHINA_TZ
from server.models import CardPhoto

logger = logging.getLogger(__name__)

EXPIRY_WINDOW = dt.timedelta(days=90)
REPLACEMENT_REASONS = {
    "lost": "补卡（遗失）",
    "damaged": "换卡（损坏）",
    "expired": "换卡（到期）",
    "info_change": "换卡（信息变更）",
}


def _guardian(a: Applicant) -> None:
    if a.age < MIN_WORKING_AGE:
        raise refuse(
            "guardian_required",
            "未满 16 周岁的社保卡须由监护人携户口簿到服务网点代为办理",
            "Under 16: a guardian applies at a service counter with the household register",
        )


def _not_in_production(a: Applicant) -> None:
    if a.card_in_production is not None:
        raise refuse("card_in_production", "您有一张社保卡正在制作中，请查询制卡进度", "A card is already being made")


def _delivery(form: Any) -> dict[str, str]:
    if form.delivery == "mail" and not form.address:
        raise invalid("address_required", "邮寄社保卡须填写收件地址", "Mailing the card needs an address")
    return {"领卡方式": "邮寄" if form.delivery == "mail" else "网点领取"}


Effect = Callable[[Any, dict[str, Any]], None]


def _photo_used() -> Any:
    return refuse("photo_used", "这张照片已用于另一项申请，请重新拍照", "The photo was used by another application")


def _photo(a: Applicant, form: Any, then: Effect) -> tuple[dict[str, str], Effect]:
    """The details of the form's photo, and ``then`` preceded by marking a terminal photo used."""
    value = form.photo
    if not value.startswith(PHOTO_PREFIX):
        return {"照片回执号": value}, then
    photo_id = value.removeprefix(PHOTO_PREFIX)
    photo = a.db.get(CardPhoto, photo_id)
    if photo is None or photo.person_id != a.person.person_id or photo.session_id != a.session_id:
        raise invalid("photo_not_found", "找不到这张照片，请重新拍照", "No such photo taken in this session")
    if photo.used_at is not None:
        raise _photo_used()

    def effect(writer: Any, details: dict[str, Any]) -> None:
        # Conditional, so of two applications racing for one photo only one takes it.
        taken = a.db.execute(
            update(CardPhoto).where(CardPhoto.id == photo_id, CardPhoto.used_at.is_(None)).values(used_at=a.now)
        )
        if taken.rowcount != 1:
            raise _photo_used()
        then(writer, details)

    return {"照片": "终端拍摄", "照片编号": photo_id}, effect


def _new_card(a: Applicant) -> Any:
    def effect(writer: Any, details: dict[str, Any]) -> None:
        number = writer.add_card(a.person.ssn, a.person.region, a.today)
        details["新卡卡号"] = mask_card_number(number)
        details["_card_number"] = number  # for the next stages; never shown (leading underscore)

    return effect


def card_application(a: Applicant, form: Any) -> Decision:
    photo, effect = _photo(a, form, _new_card(a))  # a wrong photo is the form's fault: said first
    _guardian(a)
    if not any(e.status == "active" for e in a.enrolments):
        raise refuse("not_insured", "您当前没有正常参保，暂不能申领社保卡", "Not insured at present")
    _not_in_production(a)
    held = next((c for c in a.cards if c.status != "cancelled"), None)
    if held is not None:
        if held.status == "lost":
            raise refuse(
                "use_replacement",
                "您的社保卡已正式挂失，请办理补卡",
                "The card was reported lost: apply for a replacement",
            )
        raise refuse("card_exists", "您已持有社保卡，如需更换请办理补卡/换卡", "You already hold a card")
    details = {"合作银行": form.bank, **photo, **_delivery(form)}
    return Decision("accepted", "申领已受理，等待审核", details, effect)


def card_replacement(a: Applicant, form: Any) -> Decision:
    photo, effect = _photo(a, form, _new_card(a))
    _guardian(a)
    _not_in_production(a)
    current = a.current_card
    if current is None:
        raise refuse("no_card", "您尚未持有社保卡，请办理社保卡申领", "No card held: apply for a first card")
    details = {"业务": REPLACEMENT_REASONS[form.reason], **photo, **_delivery(form)}
    if form.reason == "lost":
        if current.status not in ("temp_lost", "lost"):
            raise refuse("report_loss_first", "补卡前请先办理挂失", "Report the card lost first")
        if current.status == "temp_lost":  # 补卡 makes the loss final: the old card must never come back
            made = effect

            def effect(writer: Any, details: dict[str, Any]) -> None:
                writer.set_card_status(a.person.ssn, current.card_number, "lost")
                made(writer, details)

        return Decision("accepted", "补卡已受理，等待审核", details, effect)
    if current.status != "normal":
        raise refuse("card_state", "社保卡当前状态不能办理换卡", "The card's status does not allow this")
    if form.reason == "expired" and current.expires_on > a.today + EXPIRY_WINDOW:
        raise refuse(
            "card_not_expiring",
            f"社保卡有效期至 {current.expires_on:%Y-%m-%d}，到期前 90 天内方可换卡",
            "The card can be renewed in the 90 days before it expires",
        )
    return Decision("accepted", "换卡已受理，等待审核", details, effect)


def card_suspend(a: Applicant, form: Any) -> Decision:
    current = a.current_card
    if current is None:
        raise refuse("no_card", "您没有可挂失的社保卡", "No card to suspend")
    ssn, number = a.person.ssn, current.card_number
    if form.mode == "temporary":
        if current.status != "normal":
            raise refuse("card_state", "社保卡当前状态不能办理此业务", "The card's status does not allow this")
        until = a.now + dt.timedelta(days=a.settings.temp_suspension_days)
        shown = f"{until.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}"

        def temporary(writer: Any, details: dict[str, Any]) -> None:
            writer.set_card_status(ssn, number, "temp_lost", until)

        details = {"挂失方式": "临时挂失", "自动解除时间": shown}
        return Decision("completed", f"临时挂失，{shown} 自动解除", details, temporary)
    if current.status not in ("normal", "temp_lost"):
        raise refuse("card_state", "社保卡当前状态不能办理此业务", "The card's status does not allow this")

    def formal(writer: Any, details: dict[str, Any]) -> None:
        writer.set_card_status(ssn, number, "lost", None)

    return Decision("completed", "正式挂失，请办理补卡", {"挂失方式": "正式挂失"}, formal)


def card_unsuspend(a: Applicant, form: Any) -> Decision:
    current = a.current_card
    if current is not None and current.status == "lost":
        raise refuse(
            "formal_loss", "正式挂失的社保卡不能解挂，请办理补卡", "A card reported lost for good cannot be unsuspended"
        )
    if current is None or current.status != "temp_lost":
        raise refuse("card_state", "社保卡当前状态不能办理此业务", "The card's status does not allow this")
    ssn, number = a.person.ssn, current.card_number

    def lift(writer: Any, details: dict[str, Any]) -> None:
        writer.set_card_status(ssn, number, "normal", None)

    return Decision("completed", "已办结", {}, lift)
