"""Rules of 养老保险关系转移, 城乡居民养老保险参保登记 and 养老待遇资格认证.

- 养老保险关系转移, the four conditions of the 昆山 service list: (1) 养老保险 paid in the region
  it leaves, (2) not yet drawing a pension, (3) insured and paying in the region it goes to (the
  参保地), (4) no transfer of the same relation already under way.
- 城乡居民养老保险参保登记: 户籍 in the 参保地, aged 16 or over, not a student, not in the
  employees' scheme (an active 职工养老 enrolment) nor drawing its pension, not already enrolled.
  The 170 enrolment is made when staff approve.
- 养老待遇资格认证: pensioners only, once a calendar year, by face on the terminal: a session opened
  with the face, or a face check of this session and person (the wizard's face step, server.face
  .checks) at most ten minutes old and used by no other application; recorded with the terminal
  and the time.
"""

from __future__ import annotations

import logging
from typing import Any

from server.api import _as_utc
from server.applications.applicant import MIN_WORKING_AGE, Applicant, Decision, refuse
from server.applications.rules_unemployment import check_regions
from server.certificates import CHINA_TZ
from server.face.checks import claim_check, usable_check
from server.reference.divisions import full_name

logger = logging.getLogger(__name__)

RESIDENT_PENSION = "170"


def pension_transfer(a: Applicant, form: Any) -> Decision:
    check_regions(form.from_region, form.to_region)
    months = a.paid_months_in("110", form.from_region)
    if months == 0:
        raise refuse(
            "no_records_in_region",
            f"您在{full_name(form.from_region)}没有参保记录",
            "No insurance records in the source region",
        )
    if a.pensioner:
        raise refuse("receiving_pension", "已领取养老待遇的不能办理关系转移", "Pensioners cannot transfer")
    if form.to_region != a.person.region or not a.enrolled("110", "active"):
        raise refuse(
            "not_insured_in_target",
            f"请先在{full_name(form.to_region)}参保缴费后再申请转移",
            "Be insured and paying in the target region first",
        )
    if a.open_application("pension_transfer", from_region=form.from_region, to_region=form.to_region):
        raise refuse("already_applied", "该转移申请正在办理中", "This transfer is already under way")
    return Decision("accepted", "等待转出地审核", {"转出地缴费月数": months})


def resident_pension_enrollment(a: Applicant, form: Any) -> Decision:
    if a.person.hukou != a.person.region:
        raise refuse(
            "hukou_elsewhere",
            "城乡居民养老保险须在户籍地参保",
            "Residents' pension enrolment is made where the household is registered",
        )
    if a.age < MIN_WORKING_AGE:
        raise refuse("under_16", "年满 16 周岁方可参加城乡居民养老保险", "Enrolment starts at 16")
    if a.person.student:
        raise refuse("student", "在校学生不参加城乡居民养老保险", "Students are not enrolled")
    if a.pensioner:
        raise refuse("receiving_pension", "您已领取职工养老保险待遇", "Already drawing the employees' pension")
    if a.enrolled("110", "active"):
        raise refuse(
            "in_employee_scheme",
            "您正在参加职工基本养老保险，不能重复参保",
            "Already insured in the employees' pension scheme",
        )
    if a.enrolled(RESIDENT_PENSION, "active") or a.open_application("resident_pension_enrollment"):
        raise refuse("already_enrolled", "您已参加城乡居民养老保险", "Already enrolled")
    return Decision("accepted", "等待审核", {"缴费档次": f"{form.grade} 元/年"})


def pension_certification(a: Applicant, form: Any) -> Decision:
    if not a.pensioner:
        raise refuse("not_pensioner", "您不是养老待遇领取人员，无需认证", "Only pensioners are certified")
    check_id = getattr(form, "face_check", None)
    if a.auth_method != "face":
        _check_face(a, check_id)
    year = a.today.year
    for app in a.applications("pension_certification"):
        if app.status == "completed" and _as_utc(app.created_at).astimezone(CHINA_TZ).year == year:
            raise refuse("already_certified", f"您 {year} 年度已完成认证", f"Already certified for {year}")
    at = a.now.astimezone(CHINA_TZ)
    details = {
        "认证年度": year,
        "认证方式": "人脸识别",
        "认证终端": a.terminal_id,
        "认证时间": f"{at:%Y-%m-%d %H:%M:%S}",
    }
    effect = None
    if a.auth_method != "face" and check_id:

        def effect(_writer: Any, _details: dict[str, Any]) -> None:
            # Taken in the submission's transaction: of two simultaneous submissions naming one
            # check, the second finds it used.
            if not claim_check(a.db, check_id, a.session_id, a.person.person_id, a.now):
                raise refuse(*FACE_CHECK_REFUSALS["face_check_used"])

    return Decision("completed", f"{year} 年度认证通过", details, effect)


FACE_CHECK_REFUSALS = {
    "face_required": (
        "face_required",
        "养老待遇资格认证须本人刷脸完成，请先完成人脸核验",
        "Certification is by face: complete the face check first",
    ),
    "face_check_invalid": (
        "face_check_invalid",
        "人脸核验无效，请重新核验",
        "The face check is not valid for this session; check again",
    ),
    "face_check_expired": (
        "face_check_expired",
        "人脸核验已超过 10 分钟，请重新核验",
        "The face check is more than 10 minutes old; check again",
    ),
    "face_check_used": (
        "face_check_used",
        "该次人脸核验已用于其他申请，请重新核验",
        "The face check was used by another application; check again",
    ),
}


def _check_face(a: Applicant, check_id: str | None) -> None:
    """A face check of this session and person, fresh and unused; else the refusal."""
    if not check_id:
        raise refuse(*FACE_CHECK_REFUSALS["face_required"])
    problem = usable_check(a.db, check_id, a.session_id, a.person.person_id, a.now)
    if problem is not None:
        raise refuse(*FACE_CHECK_REFUSALS[problem])
