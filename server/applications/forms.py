"""The request bodies of ``POST /sessions/{id}/applications``: one form per kind, discriminated by
``kind``. Shapes only (types, patterns, choices): whether the resident may apply is for the rules
(server.applications.rules). ``card_resume`` and ``transfer`` are the first release's ids of 解挂
and 养老保险关系转移, still accepted.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Literal

from pydantic import Field

from server.face.checks import CHECK_ID_PATTERN
from server.reference.hospitals import HOSPITAL_CODE_PATTERN
from server.reference.training import COURSE_ID_PATTERN
from server.schemas import IDEMPOTENCY_PATTERN, StrictModel

logger = logging.getLogger(__name__)

RegionCode = Annotated[str, Field(pattern=r"^\d{6}$", description="GB/T 2260 code (GET /api/v1/reference/divisions)")]
Phone = Annotated[str, Field(pattern=r"^1[3-9]\d{9}$")]
# 非本人意愿中断就业 (《失业保险条例》第十四条) lists the first four; 主动离职 is the resident's own choice.
SEPARATION_REASONS = ("合同到期", "单位解除", "单位破产或撤销", "被迫解除")
Separation = Literal["合同到期", "单位解除", "单位破产或撤销", "被迫解除", "主动离职", "其他"]
Delivery = Literal["pickup", "mail"]
# 社保卡 photo: one the terminal took in this session (server.card_photos), or the 数码照片回执号 a
# photo studio gives (its digits).
CardPhotoRef = Annotated[
    str,
    Field(pattern=r"^(photo:[0-9a-f]{32}|\d{6,20})$", description="photo:<photo_id> or a photo receipt number"),
]
Bank = Literal["中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "交通银行", "中国邮政储蓄银行"]


class EmptyForm(StrictModel):
    pass


class PensionCertificationForm(StrictModel):
    # A face check of this session (POST /sessions/{id}/face-checks); not needed when the session
    # itself was opened by face.
    face_check: str | None = Field(default=None, pattern=CHECK_ID_PATTERN)


class UnemploymentRegistrationForm(StrictModel):
    reason: Literal["合同到期", "单位解除", "主动离职", "其他"]
    # 户籍地 or 居住证 (常住地) route; the terminal's notice has the resident declare ability and will.
    route: Literal["hukou", "residence_permit"] = "hukou"
    able_to_work: bool = True
    willing_to_work: bool = True


class UnemploymentBenefitForm(StrictModel):
    reason: Separation
    job_seeking: bool = True


class UnemploymentTransferForm(StrictModel):
    direction: Literal["out", "in"]
    from_region: RegionCode
    to_region: RegionCode


class TransferForm(StrictModel):
    from_region: RegionCode
    to_region: RegionCode


class ResidentPensionForm(StrictModel):
    # 缴费档次 (yuan a year) of 城乡居民基本养老保险.
    grade: Literal[200, 300, 500, 700, 1000, 1500, 2000, 3000]


class CardApplicationForm(StrictModel):
    bank: Bank
    photo: CardPhotoRef
    delivery: Delivery = "pickup"
    address: str | None = Field(default=None, min_length=5, max_length=100, description="needed to mail")


class CardReplacementForm(StrictModel):
    reason: Literal["lost", "damaged", "expired", "info_change"]
    photo: CardPhotoRef
    delivery: Delivery = "pickup"
    address: str | None = Field(default=None, min_length=5, max_length=100, description="needed to mail")


class CardSuspendForm(StrictModel):
    mode: Literal["temporary", "formal"] = "temporary"


class ContactForm(StrictModel):
    phone: Phone | None = None
    address: str | None = Field(default=None, min_length=5, max_length=100)
    # The address picker's division (a leaf, GET /api/v1/reference/divisions): prefixed to address.
    address_region: RegionCode | None = None


class MedicalFilingForm(StrictModel):
    target_region: RegionCode
    reason: Literal["异地安置", "异地长期居住", "常驻异地工作", "临时外出就医"]
    start_date: dt.date = Field(strict=False, description="YYYY-MM-DD, today or later")
    hospital_code: str | None = Field(default=None, pattern=HOSPITAL_CODE_PATTERN)


class TrainingSubsidyForm(StrictModel):
    certificate_number: str = Field(pattern=r"^[A-Z]\d{18}$")


class TrainingSignupForm(StrictModel):
    course_id: str = Field(pattern=COURSE_ID_PATTERN)
    phone: Phone | None = None


class DisputeForm(StrictModel):
    respondent: str = Field(min_length=2, max_length=100, description="the employer or unit")
    category: Literal["劳动报酬", "解除劳动合同", "社会保险", "工伤待遇", "休息休假", "其他"]
    description: str = Field(min_length=10, max_length=500)
    occurred_on: dt.date = Field(strict=False, description="YYYY-MM-DD, when the dispute arose")
    claim_yuan: int | None = Field(default=None, ge=0, le=100_000_000)


class _Base(StrictModel):
    idempotency_key: str = Field(pattern=IDEMPOTENCY_PATTERN)


class UnemploymentRegistration(_Base):
    kind: Literal["unemployment_registration"]
    form: UnemploymentRegistrationForm


class UnemploymentBenefit(_Base):
    kind: Literal["unemployment_benefit"]
    form: UnemploymentBenefitForm


class UnemploymentSubsidy(_Base):
    kind: Literal["unemployment_subsidy"]
    form: EmptyForm = Field(default_factory=EmptyForm)


class UnemploymentTransfer(_Base):
    kind: Literal["unemployment_transfer"]
    form: UnemploymentTransferForm


class PensionTransfer(_Base):
    kind: Literal["pension_transfer", "transfer"]
    form: TransferForm


class ResidentPensionEnrollment(_Base):
    kind: Literal["resident_pension_enrollment"]
    form: ResidentPensionForm


class PensionCertification(_Base):
    kind: Literal["pension_certification"]
    form: PensionCertificationForm = Field(default_factory=PensionCertificationForm)


class CardApplication(_Base):
    kind: Literal["card_application"]
    form: CardApplicationForm


class CardReplacement(_Base):
    kind: Literal["card_replacement"]
    form: CardReplacementForm


class CardSuspend(_Base):
    kind: Literal["card_suspend"]
    form: CardSuspendForm = Field(default_factory=CardSuspendForm)


class CardUnsuspend(_Base):
    kind: Literal["card_unsuspend", "card_resume"]
    form: EmptyForm = Field(default_factory=EmptyForm)


class ContactUpdate(_Base):
    kind: Literal["contact_update"]
    form: ContactForm


class MedicalFiling(_Base):
    kind: Literal["medical_filing"]
    form: MedicalFilingForm


class TrainingSubsidy(_Base):
    kind: Literal["training_subsidy"]
    form: TrainingSubsidyForm


class TrainingSignup(_Base):
    kind: Literal["training_signup"]
    form: TrainingSignupForm


class DisputeMediation(_Base):
    kind: Literal["dispute_mediation"]
    form: DisputeForm


ApplicationRequest = Annotated[
    UnemploymentRegistration
    | UnemploymentBenefit
    | UnemploymentSubsidy
    | UnemploymentTransfer
    | PensionTransfer
    | ResidentPensionEnrollment
    | PensionCertification
    | CardApplication
    | CardReplacement
    | CardSuspend
    | CardUnsuspend
    | ContactUpdate
    | MedicalFiling
    | TrainingSubsidy
    | TrainingSignup
    | DisputeMediation,
    Field(discriminator="kind"),
]
