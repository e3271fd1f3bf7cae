"""个人资料修改, 异地就医备案, 职业培训补贴申请, 就业创业培训报名 and 劳动人事争议调解申请."""

from __future__ import annotations

from kiosk.application_forms import choices, wizard
from kiosk.forms import FieldKind, FormField
from kiosk.service_types import ServiceSpec

FILING_REASONS = (
    ("resettled", "异地安置"),
    ("long_stay", "异地长期居住"),
    ("posted", "常驻异地工作"),
    ("temporary", "临时外出就医"),
)
DISPUTE_CATEGORIES = (
    ("pay", "劳动报酬"),
    ("dismissal", "解除劳动合同"),
    ("insurance", "社会保险"),
    ("injury", "工伤待遇"),
    ("leave", "休息休假"),
    ("other", "其他"),
)


def other_services() -> list[ServiceSpec]:
    return [
        wizard(
            "contact_update",
            FormField(
                "change",
                "form.contact.change",
                FieldKind.CHOICE,
                choices=choices("form.contact.change", (("phone", "phone"), ("address", "address"))),
                send=False,
            ),
            FormField("phone", "form.contact.phone", FieldKind.PHONE, when=("change", "phone")),
            FormField(
                "address",
                "form.contact.address",
                FieldKind.ADDRESS,
                when=("change", "address"),
                region_key="address_region",
                min_length=5,
            ),
        ),
        wizard(
            "medical_filing",
            FormField("target_region", "form.medical.target_region", FieldKind.REGION),
            FormField(
                "reason",
                "form.medical.reason",
                FieldKind.CHOICE,
                choices=choices("form.medical.reason", FILING_REASONS),
            ),
            FormField("start_date", "form.medical.start_date", FieldKind.DATE),
        ),
        wizard(
            "training_subsidy",
            FormField(
                "certificate_number",
                "form.training.certificate",
                FieldKind.TEXT,
                pattern=r"^[A-Z]\d{18}$",
                max_length=19,
            ),
        ),
        wizard(
            "training_signup",
            # The course number of the 培训公告: "C" and ten digits, the "C" already shown.
            FormField("course_id", "form.training.course", FieldKind.DIGITS, prefix="C", min_length=10, max_length=10),
        ),
        wizard(
            "dispute_mediation",
            FormField("respondent", "form.dispute.respondent", FieldKind.TEXT, min_length=2, max_length=100),
            FormField(
                "category",
                "form.dispute.category",
                FieldKind.CHOICE,
                choices=choices("form.dispute.category", DISPUTE_CATEGORIES),
            ),
            FormField("description", "form.dispute.description", FieldKind.TEXT, min_length=10, max_length=500),
            FormField("occurred_on", "form.dispute.occurred_on", FieldKind.DATE),
            FormField("claim_yuan", "form.dispute.claim", FieldKind.AMOUNT, required=False, cast="int"),
        ),
    ]
