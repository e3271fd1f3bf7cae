"""Rules of 失业登记, 失业保险金, 失业补助金 and 失业保险关系转出/转入.

- 失业登记: working age (16 to the retirement age), able and willing to work, without insured
  employment, not yet registered, and through the 户籍 route (户籍 in the 参保地) or the 居住证
  route (a 居住证 of the 参保地).
- 失业保险金 (《失业保险条例》第十四条): registered unemployed, job-seeking, the job lost against
  one's will, at least 12 months of 失业保险 paid, not drawing it already, not drawn for this spell
  since the last contributions; months of entitlement from the years paid (第十七条).
- 失业补助金: registered unemployed who do not qualify for 失业保险金 (under 12 months paid) or
  have drawn all of it, and are not drawing it.
- 转出/转入: one end is the resident's 参保地 (out of it, or into it), the other a different division,
  with 失业保险 paid in the region it leaves.
"""

from __future__ import annotations

import logging
from typing import Any

from server.applications.applicant import MIN_WORKING_AGE, Applicant, Decision, invalid, refuse
from server.applications.forms import SEPARATION_REASONS
from server.reference.divisions import division, full_name

logger = logging.getLogger(__name__)

MIN_UNEMPLOYMENT_MONTHS = 12
SUBSIDY_MONTHS = 6


def entitlement_months(paid_months: int) -> int:
    """第十七条: 1 to 5 years paid → at most 12 months; 5 to 10 years → 18; 10 years or more → 24."""
    if paid_months >= 120:
        return 24
    if paid_months >= 60:
        return 18
    return 12 if paid_months >= MIN_UNEMPLOYMENT_MONTHS else 0


def _working_age(a: Applicant) -> None:
    if not MIN_WORKING_AGE <= a.age < a.retirement_age:
        raise refuse(
            "not_working_age",
            f"失业登记须在法定劳动年龄内（{MIN_WORKING_AGE} 周岁至 {a.retirement_age} 周岁）",
            f"Only people of working age ({MIN_WORKING_AGE} to {a.retirement_age}) can register as unemployed",
        )


def unemployment_registration(a: Applicant, form: Any) -> Decision:
    _working_age(a)
    if a.person.student:
        raise refuse("student", "在校学生不能办理失业登记", "Students cannot register as unemployed")
    if a.insured_employment:
        raise refuse("still_employed", "您当前仍在参保缴费，无法办理失业登记", "Person is still employed")
    if a.registered_unemployed:
        raise refuse("already_registered", "您已办理失业登记", "Already registered as unemployed")
    if not (form.able_to_work and form.willing_to_work):
        raise refuse(
            "not_able_or_willing",
            "失业登记须具有劳动能力并有就业要求",
            "Registration needs the ability and the will to work",
        )
    if form.route == "hukou" and a.person.hukou != a.person.region:
        raise refuse(
            "hukou_elsewhere",
            f"您的户籍不在{a.region_name}，请选择居住证途径或到户籍地办理",
            "Your household registration is elsewhere: use the residence-permit route or register there",
        )
    if form.route == "residence_permit" and a.person.residence_permit_region != a.person.region:
        raise refuse(
            "no_residence_permit",
            f"未查询到您在{a.region_name}的居住证，请选择户籍途径或办理居住证",
            "No residence permit of this region on record",
        )
    route = "户籍地" if form.route == "hukou" else "居住证（常住地）"
    return Decision("accepted", "失业登记已受理，等待公共就业服务机构确认", {"登记途径": route})


def unemployment_benefit(a: Applicant, form: Any) -> Decision:
    if not a.registered_unemployed:
        raise refuse("not_registered_unemployed", "请先办理失业登记", "Register as unemployed first")
    if form.reason not in SEPARATION_REASONS:
        raise refuse(
            "voluntary_separation",
            "非因本人意愿中断就业的才能申领失业保险金",
            "Only a job lost against one's will entitles to the benefit",
        )
    if not form.job_seeking:
        raise refuse("not_job_seeking", "申领失业保险金须有求职要求", "The benefit needs the will to find work")
    months = a.paid_months("210")
    if months < MIN_UNEMPLOYMENT_MONTHS:
        raise refuse(
            "not_eligible",
            f"失业保险累计缴费 {months} 个月，不满 {MIN_UNEMPLOYMENT_MONTHS} 个月，可申领失业补助金",
            f"Only {months} months of unemployment insurance paid (need {MIN_UNEMPLOYMENT_MONTHS})",
        )
    if a.drawing_unemployment_benefit:
        raise refuse("already_receiving", "您正在领取失业保险金", "The benefit is already being paid")
    if a.benefit_used_up:
        raise refuse(
            "benefit_used_up",
            "本次失业的失业保险金已领取期满，可申领失业补助金",
            "The benefit of this spell has been drawn in full",
        )
    if a.open_application("unemployment_benefit"):
        raise refuse("already_applied", "您已申领失业保险金", "Benefit already applied for")
    entitled = entitlement_months(months)
    details = {"失业保险缴费月数": months, "可领取月数": entitled}
    return Decision("accepted", f"等待审核（可领取 {entitled} 个月）", details)


def unemployment_subsidy(a: Applicant, form: Any) -> Decision:
    if not a.registered_unemployed:
        raise refuse("not_registered_unemployed", "请先办理失业登记", "Register as unemployed first")
    if a.drawing_unemployment_benefit:
        raise refuse(
            "already_receiving",
            "领取失业保险金期间不能申领失业补助金",
            "No subsidy while the benefit is being paid",
        )
    months = a.paid_months("210")
    if months >= MIN_UNEMPLOYMENT_MONTHS and not a.benefit_used_up:
        raise refuse(
            "qualifies_for_benefit",
            "您符合失业保险金申领条件，请申领失业保险金",
            "You qualify for the unemployment insurance benefit: apply for it instead",
        )
    if a.open_application("unemployment_subsidy"):
        raise refuse("already_applied", "您已申领失业补助金", "Subsidy already applied for")
    basis = "失业保险金已领取期满" if a.benefit_used_up else f"失业保险缴费 {months} 个月，不满一年"
    return Decision("accepted", "等待审核", {"申领依据": basis, "可领取月数": SUBSIDY_MONTHS})


def check_regions(from_region: str, to_region: str) -> None:
    """Two different divisions of GB/T 2260 (422 otherwise)."""
    for code in (from_region, to_region):
        found = division(code)
        if found is None or found.level == "province":
            raise invalid("invalid_region", f"地区代码 {code} 不正确", f"Unknown region {code}")
    if from_region == to_region:
        raise invalid("invalid_region", "转出地与转入地不能相同", "The regions must differ")


def unemployment_transfer(a: Applicant, form: Any) -> Decision:
    check_regions(form.from_region, form.to_region)
    local = form.from_region if form.direction == "out" else form.to_region
    if local != a.person.region:
        raise refuse(
            "not_local",
            f"{'转出' if form.direction == 'out' else '转入'}地须为您的参保地{a.region_name}",
            "One end of the transfer must be your insured region",
        )
    if a.paid_months_in("210", form.from_region) == 0:
        raise refuse(
            "no_records_in_region",
            f"您在{full_name(form.from_region)}没有失业保险缴费记录",
            "No unemployment insurance paid in the region it leaves",
        )
    if a.open_application("unemployment_transfer", from_region=form.from_region, to_region=form.to_region):
        raise refuse("already_applied", "该转移申请正在办理中", "This transfer is already under way")
    months = a.paid_months_in("210", form.from_region)
    return Decision("accepted", "等待转出地审核", {"转出地缴费月数": months})
