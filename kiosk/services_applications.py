"""Catalogue entries of the 办理 group: one wizard form per application kind of the gateway."""

from __future__ import annotations

from kiosk.forms import Choice, FieldKind, FormField, WizardForm
from kiosk.service_types import Group, ServiceSpec, WizardParams


def application_services() -> list[ServiceSpec]:
    return [
        ServiceSpec(
            "unemployment_registration",
            Group.APPLY,
            "wizard",
            WizardParams(
                WizardForm(
                    "unemployment_registration",
                    "notice.unemployment_registration",
                    (
                        FormField(
                            "reason",
                            "form.unemployment.reason",
                            FieldKind.CHOICE,
                            choices=tuple(
                                Choice(value, f"form.unemployment.reason.{key}")
                                for key, value in (
                                    ("contract_end", "合同到期"),
                                    ("dismissed", "单位解除"),
                                    ("resigned", "主动离职"),
                                    ("other", "其他"),
                                )
                            ),
                        ),
                    ),
                )
            ),
        ),
        ServiceSpec(
            "contact_update",
            Group.APPLY,
            "wizard",
            WizardParams(
                WizardForm(
                    "contact_update",
                    "notice.contact_update",
                    (FormField("phone", "form.contact.phone", FieldKind.PHONE),),
                )
            ),
        ),
    ]
