"""Rules of 个人资料修改, 异地就医备案, 职业培训补贴, 就业创业培训报名 and 劳动人事争议调解.

- 个人资料修改: a phone number or an address (with the address picker's division, a GB/T 2260 leaf);
  written at once.
- 异地就医备案: a city or county other than the 参保地, starting within a year, at one of the
  target's 定点医疗机构 when one is named, for someone in 基本医疗保险 (职工 or 城乡居民), once per
  target while a filing stands.
- 职业培训补贴: a 职业技能等级证书 on record in the resident's name, obtained within the last 12
  months, not yet subsidised, for someone in 失业保险 (working or unemployed).
- 就业创业培训报名: an open course of the reference data, working age, not already signed up for it.
- 劳动人事争议调解: within a year of the dispute (not in the future), one open request per employer.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from server.applications.applicant import MIN_WORKING_AGE, Applicant, Decision, invalid, refuse
from server.reference.divisions import division, full_name
from server.reference.hospitals import hospital
from server.reference.training import SUBSIDY, course

logger = logging.getLogger(__name__)

SUBSIDY_WINDOW = dt.timedelta(days=365)
DISPUTE_WINDOW = dt.timedelta(days=365)


def contact_update(a: Applicant, form: Any) -> Decision:
    if form.phone is None and form.address is None:
        raise invalid("invalid_request", "请至少填写电话或地址", "Give a phone number or an address")
    address = form.address
    if form.address_region is not None:
        found = division(form.address_region)
        if found is None or not found.leaf:
            raise invalid("invalid_region", "地址所在地区不正确", "Unknown address region")
        if address is None:
            raise invalid("invalid_request", "请填写详细地址", "Give the street address")
        address = found.full_name + address
    ssn, phone = a.person.ssn, form.phone

    def write(writer: Any, details: dict[str, Any]) -> None:
        writer.update_contact(ssn, phone, address)

    return Decision("completed", "资料已更新", {}, write)


def medical_filing(a: Applicant, form: Any) -> Decision:
    target = division(form.target_region)
    if target is None or target.level == "province" or form.target_region == a.person.region:
        raise invalid("invalid_region", "就医地不正确", "Unknown or same-region medical target")
    if not a.today <= form.start_date <= a.today + dt.timedelta(days=365):
        raise invalid("invalid_date", "开始日期须为今天起一年内", "start_date must be within the next year")
    details: dict[str, Any] = {"就医地": target.full_name}
    if form.hospital_code is not None:
        found = hospital(form.hospital_code)
        if found is None or found.region != form.target_region:
            raise invalid("invalid_hospital", "所选医院不是就医地的定点医疗机构", "Not a designated hospital there")
        details["定点医疗机构"] = found.name
    if not (a.enrolled("310", "active") or a.enrolled("390", "active")):
        raise refuse("not_insured", "您当前未参加基本医疗保险", "No active medical insurance")
    if a.open_application("medical_filing", target_region=form.target_region):
        raise refuse("already_filed", f"您已备案{target.full_name}", "Already filed for this place")
    return Decision("accepted", "备案已受理", details)


def training_subsidy(a: Applicant, form: Any) -> Decision:
    cert = next((c for c in a.skill_certificates if c.number == form.certificate_number), None)
    if cert is None:
        raise refuse(
            "certificate_not_found",
            "未查询到您名下的该证书，请核对证书编号",
            "No certificate with this number in your name",
        )
    if cert.issued_on < a.today - SUBSIDY_WINDOW:
        raise refuse(
            "certificate_too_old",
            f"证书于 {cert.issued_on:%Y-%m-%d} 取得，已超过 12 个月的申领期限",
            "The subsidy is claimed within 12 months of the certificate",
        )
    if a.open_application("training_subsidy", certificate_number=form.certificate_number):
        raise refuse("already_claimed", "该证书已申领过补贴", "This certificate was already claimed")
    if not any(e.type_code == "210" and e.status in ("active", "suspended") for e in a.enrolments):
        raise refuse(
            "not_eligible_person",
            "职业培训补贴限参加失业保险的职工和失业人员申领",
            "For people insured against unemployment",
        )
    amount = SUBSIDY.get(cert.level, SUBSIDY["五级"])
    details = {"职业（工种）": cert.occupation, "等级": cert.level, "补贴金额": f"{amount} 元"}
    return Decision("accepted", "等待审核", details)


def training_signup(a: Applicant, form: Any) -> Decision:
    found = course(form.course_id, a.today)
    if found is None:
        raise invalid("invalid_course", "该培训班不存在或已截止报名", "No such open course")
    if not MIN_WORKING_AGE <= a.age < a.retirement_age:
        raise refuse("not_working_age", "就业创业培训面向法定劳动年龄内人员", "For people of working age")
    if a.open_application("training_signup", course_id=form.course_id):
        raise refuse("already_signed_up", "您已报名该培训班", "Already signed up for this course")
    details = {
        "培训班": found.title,
        "培训机构": found.institution.name,
        "开班日期": f"{found.starts_on:%Y-%m-%d}",
        "课时": found.hours,
        "机构所在地": full_name(found.institution.region),
    }
    return Decision("accepted", "报名已提交，等待培训机构确认", details)


def dispute_mediation(a: Applicant, form: Any) -> Decision:
    if form.occurred_on > a.today:
        raise invalid("invalid_date", "争议发生日期不能晚于今天", "The dispute cannot be in the future")
    if form.occurred_on < a.today - DISPUTE_WINDOW:
        raise refuse(
            "time_limit",
            "争议发生已超过一年，请咨询劳动人事争议仲裁机构",
            "More than a year since the dispute: ask the arbitration committee",
        )
    respondent = form.respondent.strip()
    if a.open_application("dispute_mediation", respondent=form.respondent):
        raise refuse("already_applied", "您对该单位的调解申请正在办理中", "A request against this employer is open")
    return Decision("accepted", "调解申请已受理", {"被申请人": respondent, "争议类型": form.category})
