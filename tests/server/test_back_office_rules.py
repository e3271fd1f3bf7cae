"""Every application kind's rules on SQLite and PostgreSQL: an eligible resident of the seed is
accepted and each ineligible one refused with its own bilingual reason; effects land with the
application. Residents are picked by the situation the rule needs (tests/server/back_office.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from server.applications.rules_unemployment import entitlement_months
from server.models import Card, Person, ResidentSession, SkillCertificate
from server.reference.hospitals import hospitals
from server.reference.training import courses
from tests.server.back_office import Office, Resident, office_gateway, refused


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def office(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    yield from office_gateway(request, tmp_path_factory)


def _status(r: Resident) -> str:
    return r.record.employment_status


def _newly_unemployed(r: Resident) -> bool:
    return _status(r) == "unemployed" and r.benefits == 0 and r.paid_210 >= 12


def _card_normal(r: Resident) -> bool:
    return r.card is not None and r.card["card_status"] == "normal"


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()


def test_unemployment_registration_benefit_and_subsidy(office: Office) -> None:
    laid_off = office.find(lambda r: _newly_unemployed(r) and r.record.hukou == r.record.region)
    sid = office.session(laid_off)
    refused(office.submit(sid, "unemployment_benefit", {"reason": "合同到期"}), "not_registered_unemployed")
    refused(
        office.submit(sid, "unemployment_registration", {"reason": "单位解除", "able_to_work": False}),
        "not_able_or_willing",
    )
    refused(
        office.submit(sid, "unemployment_registration", {"reason": "单位解除", "route": "residence_permit"}),
        "no_residence_permit",
    )
    ok = office.submit(sid, "unemployment_registration", {"reason": "单位解除", "route": "hukou"})
    assert ok.status_code == 201 and ok.json()["status"] == "accepted", ok.text
    assert ["登记途径", "户籍地"] in ok.json()["fields"]
    refused(office.submit(sid, "unemployment_registration", {"reason": "单位解除"}), "already_registered")
    refused(office.submit(sid, "unemployment_benefit", {"reason": "主动离职"}), "voluntary_separation")
    refused(office.submit(sid, "unemployment_benefit", {"reason": "合同到期", "job_seeking": False}), "not_job_seeking")
    benefit = office.submit(sid, "unemployment_benefit", {"reason": "合同到期"})
    assert benefit.status_code == 201, benefit.text
    fields = dict(map(tuple, benefit.json()["fields"]))
    assert fields["可领取月数"] == str(entitlement_months(laid_off.paid_210)) and fields["失业保险缴费月数"]
    refused(office.submit(sid, "unemployment_benefit", {"reason": "合同到期"}), "already_applied")
    refused(office.submit(sid, "unemployment_subsidy"), "qualifies_for_benefit")

    migrant = office.find(lambda r: _newly_unemployed(r) and r.record.residence_permit_region == r.record.region)
    sid = office.session(migrant)
    refused(office.submit(sid, "unemployment_registration", {"reason": "合同到期"}), "hukou_elsewhere")
    ok = office.submit(sid, "unemployment_registration", {"reason": "合同到期", "route": "residence_permit"})
    assert ok.status_code == 201, ok.text

    short = office.find(lambda r: _status(r) == "unemployed" and r.paid_210 < 12)
    sid = office.session(short)
    assert office.submit(sid, "unemployment_registration", {"reason": "合同到期"}).status_code == 201
    refused(office.submit(sid, "unemployment_benefit", {"reason": "合同到期"}), "not_eligible")
    subsidy = office.submit(sid, "unemployment_subsidy")
    assert subsidy.status_code == 201 and ["可领取月数", "6"] in subsidy.json()["fields"], subsidy.text
    refused(office.submit(sid, "unemployment_subsidy"), "already_applied")

    # Drew all of their 失业保险金: registered already, no second benefit, the subsidy instead.
    spent = office.find(lambda r: _status(r) == "unemployed" and r.benefits == 12 and r.paid_210 == 36)
    sid = office.session(spent)
    refused(office.submit(sid, "unemployment_registration", {"reason": "合同到期"}), "already_registered")
    refused(office.submit(sid, "unemployment_benefit", {"reason": "合同到期"}), "benefit_used_up")
    assert office.submit(sid, "unemployment_subsidy").status_code == 201

    drawing = office.find(lambda r: _status(r) == "unemployed" and r.benefits not in (0, 12) and _card_normal(r))
    sid = office.session(drawing)
    refused(office.submit(sid, "unemployment_benefit", {"reason": "合同到期"}), "already_receiving")
    refused(office.submit(sid, "unemployment_subsidy"), "already_receiving")

    employed = office.find(lambda r: _status(r) == "employed" and _card_normal(r))
    sid = office.session(employed)
    refused(office.submit(sid, "unemployment_registration", {"reason": "合同到期"}), "still_employed")
    refused(office.submit(sid, "unemployment_subsidy"), "not_registered_unemployed")
    retired = office.find(lambda r: _status(r) == "retired" and _card_normal(r))
    refused(office.submit(office.session(retired), "unemployment_registration", {"reason": "其他"}), "not_working_age")
    student = office.find(lambda r: r.record.student and r.age >= 16)
    refused(office.submit(office.session(student), "unemployment_registration", {"reason": "其他"}), "student")


def test_transfers(office: Office) -> None:
    mover = office.find(lambda r: _status(r) == "employed" and _card_normal(r) and len(r.regions_110) > 1)
    earlier = sorted(mover.regions_110 - {mover.record.region})[0]
    here = mover.record.region
    sid = office.session(mover)
    refused(office.submit(sid, "pension_transfer", {"from_region": here, "to_region": here}), "invalid_region", 422)
    refused(office.submit(sid, "pension_transfer", {"from_region": "999999", "to_region": here}), "invalid_region", 422)
    refused(
        office.submit(sid, "pension_transfer", {"from_region": here, "to_region": earlier}), "not_insured_in_target"
    )
    elsewhere = next(c for c in ("510107", "420106", "110105") if c not in mover.regions_110)
    refused(
        office.submit(sid, "pension_transfer", {"from_region": elsewhere, "to_region": here}), "no_records_in_region"
    )
    ok = office.submit(sid, "pension_transfer", {"from_region": earlier, "to_region": here})
    assert ok.status_code == 201 and ok.json()["kind"] == "pension_transfer", ok.text
    refused(office.submit(sid, "pension_transfer", {"from_region": earlier, "to_region": here}), "already_applied")

    move_in = {"direction": "in", "from_region": earlier, "to_region": here}
    assert office.submit(sid, "unemployment_transfer", move_in).status_code == 201
    refused(office.submit(sid, "unemployment_transfer", move_in), "already_applied")
    refused(
        office.submit(sid, "unemployment_transfer", {"direction": "out", "from_region": earlier, "to_region": here}),
        "not_local",
    )
    refused(
        office.submit(sid, "unemployment_transfer", {"direction": "in", "from_region": elsewhere, "to_region": here}),
        "no_records_in_region",
    )
    retired = office.find(lambda r: _status(r) == "retired" and _card_normal(r) and len(r.regions_110) > 1)
    old = sorted(retired.regions_110 - {retired.record.region})[0]
    answer = office.submit(
        office.session(retired), "pension_transfer", {"from_region": old, "to_region": retired.record.region}
    )
    refused(answer, "receiving_pension")


def test_resident_pension_enrollment(office: Office) -> None:
    rural = office.find(lambda r: _status(r) == "resident")
    sid = office.session(rural)  # no card yet: the 电子社保卡
    ok = office.submit(sid, "resident_pension_enrollment", {"grade": 500})
    assert ok.status_code == 201 and ["缴费档次", "500 元/年"] in ok.json()["fields"], ok.text
    refused(office.submit(sid, "resident_pension_enrollment", {"grade": 500}), "already_enrolled")
    refused(office.submit(sid, "resident_pension_enrollment", {"grade": 450}), "invalid_request", 422)
    child = office.find(lambda r: r.age < 16, fresh=False)
    refused(office.submit(office.session(child), "resident_pension_enrollment", {"grade": 200}), "under_16")
    student = office.find(lambda r: r.record.student and r.age >= 16, fresh=False)
    refused(office.submit(office.session(student), "resident_pension_enrollment", {"grade": 200}), "student")
    employed = office.find(lambda r: _status(r) == "employed" and _card_normal(r) and r.record.hukou == r.record.region)
    refused(
        office.submit(office.session(employed), "resident_pension_enrollment", {"grade": 200}), "in_employee_scheme"
    )
    retired = office.find(lambda r: _status(r) == "retired" and _card_normal(r) and r.record.hukou == r.record.region)
    refused(office.submit(office.session(retired), "resident_pension_enrollment", {"grade": 200}), "receiving_pension")
    away = office.find(lambda r: r.record.hukou != r.record.region and r.card is not None, fresh=False)
    refused(
        office.submit(office.session(away, esscard=True), "resident_pension_enrollment", {"grade": 200}),
        "hukou_elsewhere",
    )


def test_pension_certification_by_face_once_a_year(office: Office) -> None:
    retired = office.find(lambda r: _status(r) == "retired" and _card_normal(r))
    sid = office.session(retired)
    refused(office.submit(sid, "pension_certification"), "face_required")
    # The face path itself (POST /sessions/face, dlib) is tested in test_face_session.py: here the
    # session is marked as opened by face, which is what the rule reads.
    with office.gw.ctx.sessions.begin() as db:
        db.get(ResidentSession, sid).auth_method = "face"
    ok = office.submit(sid, "pension_certification")
    assert ok.status_code == 201 and ok.json()["status"] == "completed", ok.text
    fields = dict(map(tuple, ok.json()["fields"]))
    assert (
        fields["认证方式"] == "人脸识别"
        and fields["认证终端"] == "T-1"
        and fields["认证时间"].startswith(str(_today().year))
    )
    refused(office.submit(sid, "pension_certification"), "already_certified")
    employed = office.find(lambda r: _status(r) == "employed" and _card_normal(r))
    sid = office.session(employed)
    with office.gw.ctx.sessions.begin() as db:
        db.get(ResidentSession, sid).auth_method = "face"
    refused(office.submit(sid, "pension_certification"), "not_pensioner")


def _cards_of(office: Office, ssn: str) -> list[Card]:
    with office.gw.ctx.sessions() as db:
        pid = db.scalar(select(Person.id).where(Person.ssn == ssn))
        return list(db.scalars(select(Card).where(Card.person_id == pid).order_by(Card.id)))


def test_card_application_and_replacement(office: Office) -> None:
    rural = office.find(lambda r: _status(r) == "resident" and not r.enrolments.get("170"), fresh=False)
    sid = office.session(rural)
    refused(office.submit(sid, "card_replacement", {"reason": "lost", "photo": "20261201000001"}), "no_card")
    refused(
        office.submit(sid, "card_application", {"bank": "中国银行", "photo": "20261201000001", "delivery": "mail"}),
        "address_required",
        422,
    )
    ok = office.submit(sid, "card_application", {"bank": "中国银行", "photo": "20261201000001"})
    assert ok.status_code == 201 and ok.json()["status"] == "accepted", ok.text
    [card] = _cards_of(office, rural.ssn)
    assert card.production_stage == "applied" and not card.is_current
    refused(
        office.submit(sid, "card_application", {"bank": "中国银行", "photo": "20261201000001"}), "card_in_production"
    )
    child = office.find(lambda r: r.age < 16, fresh=False)
    refused(
        office.submit(office.session(child), "card_application", {"bank": "中国银行", "photo": "20261201000001"}),
        "guardian_required",
    )
    refused(
        office.submit(office.session(child), "card_replacement", {"reason": "damaged", "photo": "20261201000001"}),
        "guardian_required",
    )
    holder = office.find(lambda r: _status(r) == "employed" and _card_normal(r))
    sid = office.session(holder)
    refused(office.submit(sid, "card_application", {"bank": "中国银行", "photo": "20261201000001"}), "card_exists")
    refused(office.submit(sid, "card_replacement", {"reason": "lost", "photo": "20261201000001"}), "report_loss_first")
    far = office.submit(sid, "card_replacement", {"reason": "expired", "photo": "20261201000001"})
    if holder.card and dt.date.fromisoformat(holder.card["expires_on"]) > _today() + dt.timedelta(days=90):
        refused(far, "card_not_expiring")
    damaged = office.submit(
        sid,
        "card_replacement",
        {"reason": "damaged", "photo": "20261201000001", "delivery": "mail", "address": "昆山市人民路 1 号"},
    )
    assert damaged.status_code == 201, damaged.text
    old, new = _cards_of(office, holder.ssn)[-2:]
    assert old.is_current and old.status == "normal" and new.production_stage == "applied"  # the old card works on
    unemployed = office.find(lambda r: _status(r) == "unemployed" and _card_normal(r) and r.paid_210 < 12, fresh=False)
    refused(
        office.submit(office.session(unemployed), "card_application", {"bank": "中国银行", "photo": "20261201000001"}),
        "not_insured",
    )
    producing = office.find(
        lambda r: (
            r.card is not None
            and r.card["card_status"] == "normal"
            and any(c.production_stage != "issued" for c in _cards_of(office, r.ssn))
        )
    )
    refused(
        office.submit(office.session(producing), "card_replacement", {"reason": "damaged", "photo": "20261201000001"}),
        "card_in_production",
    )

    # 补卡 of a card reported lost for good; of a temporarily suspended one, which becomes final.
    lost = office.find(lambda r: r.card is not None and r.card["card_status"] == "lost")
    sid = office.session(lost)  # a lost card cannot sign in: the 电子社保卡
    refused(office.submit(sid, "card_application", {"bank": "中国银行", "photo": "20261201000001"}), "use_replacement")
    assert office.submit(sid, "card_replacement", {"reason": "lost", "photo": "20261201000001"}).status_code == 201
    temp = office.find(lambda r: r.card is not None and r.card["card_status"] == "temp_lost")
    sid = office.session(temp)
    refused(office.submit(sid, "card_replacement", {"reason": "damaged", "photo": "20261201000001"}), "card_state")
    assert office.submit(sid, "card_replacement", {"reason": "lost", "photo": "20261201000001"}).status_code == 201
    assert _cards_of(office, temp.ssn)[0].status == "lost"


def test_suspension_lapses_and_unsuspension(office: Office) -> None:
    holder = office.find(lambda r: _status(r) == "employed" and _card_normal(r))
    sid = office.session(holder)
    ok = office.submit(sid, "card_suspend")  # temporary by default
    assert ok.status_code == 201 and ok.json()["status"] == "completed", ok.text
    [card] = [c for c in _cards_of(office, holder.ssn) if c.is_current]
    until = card.suspended_until if card.suspended_until.tzinfo else card.suspended_until.replace(tzinfo=dt.UTC)
    assert abs(until - dt.datetime.now(dt.UTC) - dt.timedelta(days=5)) < dt.timedelta(minutes=5)
    refused(office.submit(sid, "card_suspend"), "card_state")
    # Past its days the 临时挂失 lapses: the card reads as normal and signs in again.
    with office.gw.ctx.sessions.begin() as db:
        db.get(Card, card.id).suspended_until = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    cards = office.gw.client.get(f"/api/v1/sessions/{sid}/cards", headers=office.gw.headers()).json()["cards"]
    assert [c["status"] for c in cards if c["is_current"]] == ["normal"]
    sid = office.session(holder)
    refused(office.submit(sid, "card_unsuspend"), "card_state")
    assert office.submit(sid, "card_suspend", {"mode": "temporary"}).status_code == 201
    assert office.submit(sid, "card_resume").json()["kind"] == "card_unsuspend"  # the old id still works
    formal = office.submit(sid, "card_suspend", {"mode": "formal"})
    assert formal.status_code == 201 and ["挂失方式", "正式挂失"] in formal.json()["fields"]
    [card] = [c for c in _cards_of(office, holder.ssn) if c.is_current]
    assert card.status == "lost" and card.suspended_until is None
    refused(office.submit(sid, "card_unsuspend"), "formal_loss")
    refused(office.submit(sid, "card_suspend", {"mode": "formal"}), "card_state")


def test_contact_update_with_the_address_picker(office: Office) -> None:
    holder = office.find(lambda r: _status(r) == "employed" and _card_normal(r))
    sid = office.session(holder)
    refused(
        office.submit(sid, "contact_update", {"address": "人民路 8 号", "address_region": "320500"}),
        "invalid_region",
        422,
    )
    refused(office.submit(sid, "contact_update", {"address_region": "320583"}), "invalid_request", 422)
    ok = office.submit(
        sid, "contact_update", {"phone": "13800001111", "address": "人民路 8 号 2 栋", "address_region": "320583"}
    )
    assert ok.status_code == 201 and ok.json()["status"] == "completed", ok.text
    with office.gw.ctx.sessions() as db:
        person = db.scalar(select(Person).where(Person.ssn == holder.ssn))
        assert person.phone == "13800001111" and person.address == "江苏省苏州市昆山市人民路 8 号 2 栋"


def test_medical_filing(office: Office) -> None:
    holder = office.find(lambda r: _status(r) == "employed" and _card_normal(r))
    sid = office.session(holder)
    target = "441900" if holder.record.region != "441900" else "320583"
    start = (_today() + dt.timedelta(days=2)).isoformat()
    form = {"target_region": target, "reason": "异地长期居住", "start_date": start}
    other = hospitals("110105")[0].code
    refused(office.submit(sid, "medical_filing", {**form, "hospital_code": other}), "invalid_hospital", 422)
    refused(office.submit(sid, "medical_filing", {**form, "target_region": "320000"}), "invalid_region", 422)
    ok = office.submit(sid, "medical_filing", {**form, "hospital_code": hospitals(target)[0].code})
    assert ok.status_code == 201 and ["定点医疗机构", hospitals(target)[0].name] in ok.json()["fields"], ok.text
    refused(office.submit(sid, "medical_filing", form), "already_filed")
    rural = office.find(lambda r: _status(r) == "resident", fresh=False)  # 城乡居民医保 counts
    there = {**form, "target_region": "110105" if rural.record.region != "110105" else "441900"}
    assert office.submit(office.session(rural), "medical_filing", there).status_code == 201
    short = office.find(lambda r: _status(r) == "unemployed" and r.paid_210 < 12, fresh=False)
    there = {**form, "target_region": "110105" if short.record.region != "110105" else "441900"}
    refused(office.submit(office.session(short), "medical_filing", there), "not_insured")


def test_training_subsidy_and_signup(office: Office) -> None:
    with office.gw.ctx.sessions() as db:
        certs = db.execute(select(Person.ssn, SkillCertificate.number, SkillCertificate.issued_on).join(Person)).all()
    today = _today()
    recent = next(c for c in certs if c.issued_on > today - dt.timedelta(days=300))
    old = next(c for c in certs if c.issued_on < today - dt.timedelta(days=400))
    holder = office.find(lambda r: r.ssn == recent.ssn and (_card_normal(r) or r.card is not None), fresh=False)
    sid = office.session(holder, esscard=not _card_normal(holder))
    refused(office.submit(sid, "training_subsidy", {"certificate_number": old.number}), "certificate_not_found")
    ok = office.submit(sid, "training_subsidy", {"certificate_number": recent.number})
    assert ok.status_code == 201 and any(f[0] == "补贴金额" for f in ok.json()["fields"]), ok.text
    refused(office.submit(sid, "training_subsidy", {"certificate_number": recent.number}), "already_claimed")
    owner = office.find(lambda r: r.ssn == old.ssn, fresh=False)
    sid = office.session(owner, esscard=not _card_normal(owner))
    refused(office.submit(sid, "training_subsidy", {"certificate_number": old.number}), "certificate_too_old")
    # Someone outside 失业保险 with a certificate: the rural resident, given one here.
    rural = office.find(lambda r: _status(r) == "resident", fresh=False)
    with office.gw.ctx.sessions.begin() as db:
        pid = db.scalar(select(Person.id).where(Person.ssn == rural.ssn))
        db.add(
            SkillCertificate(
                person_id=pid, number="S320583202600000001", occupation="电工", level="五级", issued_on=today
            )
        )
    sid = office.session(rural)
    refused(
        office.submit(sid, "training_subsidy", {"certificate_number": "S320583202600000001"}), "not_eligible_person"
    )

    course = courses(rural.record.region, today)[0]
    ok = office.submit(sid, "training_signup", {"course_id": course.id})
    assert ok.status_code == 201 and ["培训机构", course.institution.name] in ok.json()["fields"], ok.text
    refused(office.submit(sid, "training_signup", {"course_id": course.id}), "already_signed_up")
    refused(office.submit(sid, "training_signup", {"course_id": "C9999990101"}), "invalid_course", 422)
    child = office.find(lambda r: r.age < 16, fresh=False)
    refused(office.submit(office.session(child), "training_signup", {"course_id": course.id}), "not_working_age")


def test_dispute_mediation(office: Office) -> None:
    holder = office.find(lambda r: _status(r) == "employed" and _card_normal(r))
    sid = office.session(holder)
    form = {
        "respondent": "昆山恒达精密机械有限公司",
        "category": "劳动报酬",
        "description": "拖欠三个月工资未发放，请求支付",
    }
    recent = (_today() - dt.timedelta(days=30)).isoformat()
    refused(
        office.submit(sid, "dispute_mediation", {**form, "occurred_on": (_today() + dt.timedelta(days=1)).isoformat()}),
        "invalid_date",
        422,
    )
    refused(
        office.submit(
            sid, "dispute_mediation", {**form, "occurred_on": (_today() - dt.timedelta(days=400)).isoformat()}
        ),
        "time_limit",
    )
    refused(
        office.submit(sid, "dispute_mediation", {**form, "description": "太短", "occurred_on": recent}),
        "invalid_request",
        422,
    )
    ok = office.submit(sid, "dispute_mediation", {**form, "occurred_on": recent, "claim_yuan": 18000})
    assert ok.status_code == 201 and ["被申请人", form["respondent"]] in ok.json()["fields"], ok.text
    refused(office.submit(sid, "dispute_mediation", {**form, "occurred_on": recent}), "already_applied")


def test_every_kind_is_idempotent(office: Office) -> None:
    """A retried submission (same key) answers the first application: no second row, no second
    effect; the same key for another kind is a conflict."""
    rural = office.find(lambda r: _status(r) == "resident", fresh=False)
    sid = office.session(rural)
    before_cards = len(_cards_of(office, rural.ssn))
    course = courses(rural.record.region, _today())[1]
    for kind, form in (
        ("training_signup", {"course_id": course.id}),
        (
            "dispute_mediation",
            {
                "respondent": "某某劳务派遣公司",
                "category": "其他",
                "description": "未签订劳动合同，请求补签",
                "occurred_on": _today().isoformat(),
            },
        ),
    ):
        key = f"idem-{kind}-{office.kind}"
        first = office.submit(sid, kind, form, key=key)
        count = office.applications()
        again = office.submit(sid, kind, form, key=key)
        assert first.status_code == again.status_code == 201 and first.json() == again.json()
        assert office.applications() == count
    refused(
        office.submit(sid, "unemployment_subsidy", key=f"idem-training_signup-{office.kind}"), "idempotency_conflict"
    )
    assert len(_cards_of(office, rural.ssn)) == before_cards
    with office.gw.ctx.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Card)) > 0
