"""失业登记, 失业保险金申领, 失业补助金申领 and 失业保险关系转出/转入.

The resident's ability and will to work and the will to find a job (the gateway's
``able_to_work``, ``willing_to_work``, ``job_seeking``, true by default) are declared by ticking
the notice, which says so; only the reason, the route and the regions are asked.
"""

from __future__ import annotations

from kiosk.application_forms import choices, wizard
from kiosk.forms import FieldKind, FormField
from kiosk.service_types import ServiceSpec

REASONS = (("contract_end", "合同到期"), ("dismissed", "单位解除"), ("resigned", "主动离职"), ("other", "其他"))
# 失业保险金: the four separations against one's will (《失业保险条例》第十四条), then the others.
SEPARATIONS = (
    ("contract_end", "合同到期"),
    ("dismissed", "单位解除"),
    ("bankruptcy", "单位破产或撤销"),
    ("forced", "被迫解除"),
    ("resigned", "主动离职"),
    ("other", "其他"),
)


def region_pair() -> tuple[FormField, FormField]:
    """转出地 and 转入地, each a county (or a city without counties) picked from the lists."""
    return (
        FormField("from_region", "form.transfer.from_region", FieldKind.REGION),
        FormField("to_region", "form.transfer.to_region", FieldKind.REGION),
    )


def unemployment_services() -> list[ServiceSpec]:
    return [
        wizard(
            "unemployment_registration",
            FormField(
                "reason",
                "form.unemployment.reason",
                FieldKind.CHOICE,
                choices=choices("form.unemployment.reason", REASONS),
            ),
            FormField(
                "route",
                "form.unemployment.route",
                FieldKind.CHOICE,
                choices=choices(
                    "form.unemployment.route", (("hukou", "hukou"), ("residence_permit", "residence_permit"))
                ),
            ),
        ),
        wizard(
            "unemployment_benefit",
            FormField(
                "reason",
                "form.unemployment.reason",
                FieldKind.CHOICE,
                choices=choices("form.unemployment.reason", SEPARATIONS),
            ),
        ),
        wizard("unemployment_subsidy"),
        wizard(
            "unemployment_transfer",
            FormField(
                "direction",
                "form.transfer.direction",
                FieldKind.CHOICE,
                choices=choices("form.transfer.direction", (("out", "out"), ("in", "in"))),
            ),
            *region_pair(),
        ),
    ]
