"""养老保险关系转移, 城乡居民养老保险参保登记, 养老待遇资格认证, and the card: 社保卡申领, 补卡/换卡,
挂失 (临时 / 正式) and 解挂.

养老待遇资格认证 asks for the resident's live face: its face step (kiosk.flows.wizard_face) runs the
camera's capture with liveness and has the gateway check it against the enrolled photo; a session
opened with the face (刷脸登录) skips it. It needs the camera: without one it is shown disabled.
社保卡申领 and 补卡/换卡 ask for the card's photo before the delivery: taken now by the terminal's
camera (kiosk.flows.wizard_photo) or a photo studio's receipt number.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.application_forms import choices, wizard
from kiosk.application_forms.unemployment import region_pair
from kiosk.forms import FieldKind, FormField
from kiosk.service_types import Device, ServiceSpec

GRADES = (200, 300, 500, 700, 1000, 1500, 2000, 3000)  # 缴费档次, yuan a year
BANKS = (
    ("icbc", "中国工商银行"),
    ("abc", "中国农业银行"),
    ("boc", "中国银行"),
    ("ccb", "中国建设银行"),
    ("bocom", "交通银行"),
    ("psbc", "中国邮政储蓄银行"),
)
REPLACEMENT_REASONS = (("lost", "lost"), ("damaged", "damaged"), ("expired", "expired"), ("info_change", "info_change"))


def photo() -> FormField:
    """The card's photo: ``photo:<id>`` of one the terminal took, or a photo receipt number."""
    return FormField("photo", "form.card.photo", FieldKind.PHOTO, max_length=70)


def delivery() -> tuple[FormField, FormField]:
    """网点领取 or 邮寄; the mailing address only when mailed."""
    return (
        FormField(
            "delivery",
            "form.card.delivery",
            FieldKind.CHOICE,
            choices=choices("form.card.delivery", (("pickup", "pickup"), ("mail", "mail"))),
        ),
        FormField("address", "form.card.address", FieldKind.ADDRESS, when=("delivery", "mail"), max_length=60),
    )


def pension_card_services() -> list[ServiceSpec]:
    return [
        wizard("pension_transfer", *region_pair()),
        wizard(
            "resident_pension_enrollment",
            FormField(
                "grade",
                "form.pension.grade",
                FieldKind.CHOICE,
                choices=choices("form.pension.grade", tuple((str(g), str(g)) for g in GRADES)),
                cast="int",
            ),
        ),
        replace(
            wizard(
                "pension_certification",
                FormField("face_check", "form.pension.face_check", FieldKind.FACE),
            ),
            needs=frozenset({Device.CAMERA}),
        ),
        wizard(
            "card_application",
            FormField("bank", "form.card.bank", FieldKind.CHOICE, choices=choices("form.card.bank", BANKS)),
            photo(),
            *delivery(),
        ),
        wizard(
            "card_replacement",
            FormField(
                "reason",
                "form.card.replacement_reason",
                FieldKind.CHOICE,
                choices=choices("form.card.replacement_reason", REPLACEMENT_REASONS),
            ),
            photo(),
            *delivery(),
        ),
        wizard(
            "card_suspend",
            FormField(
                "mode",
                "form.card.suspend_mode",
                FieldKind.CHOICE,
                choices=choices("form.card.suspend_mode", (("temporary", "temporary"), ("formal", "formal"))),
            ),
        ),
        wizard("card_unsuspend"),
    ]
