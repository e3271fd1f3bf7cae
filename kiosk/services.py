"""The service catalogue: every service a resident can choose, declared as data.

An entry says what the service is called (``service.<id>`` in the message catalogue), which menu
group it belongs to, which devices it needs, which generic flow runs it and that flow's parameters.
Adding a service is adding an entry here (and, for an application, its form); the session core
never changes. Which of them a terminal offers comes from ``services.enabled`` in its config.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kiosk.forms import Choice, FieldKind, FormField, WizardForm
from kiosk.printer_status import PrinterStatus
from kiosk.state import MenuItem, Message


class Group(enum.Enum):
    QUERY = "query"  # 查询
    APPLY = "apply"  # 办理
    PRINT = "print"  # 打印


class Device(enum.Enum):
    PRINTER = "printer"
    CAMERA = "camera"


@dataclass(frozen=True)
class QueryParams:
    """A table from the gateway: ``loader`` names kiosk.records.LOADERS; ``months`` back from today."""

    loader: str
    months: int | None = None
    page_size: int = 100
    print_service: str | None = None  # the catalogue id that prints this table, offered on its screen


@dataclass(frozen=True)
class CertificateParams:
    """A certificate the gateway issues: its kind and the months it covers (None: no period)."""

    kind: str
    months: int | None = None


@dataclass(frozen=True)
class WizardParams:
    form: WizardForm


Params = QueryParams | CertificateParams | WizardParams


@dataclass(frozen=True)
class ServiceSpec:
    id: str
    group: Group
    flow: str  # a key of kiosk.flows.FLOWS
    params: Params
    needs: frozenset[Device] = frozenset()

    @property
    def title_key(self) -> str:
        return f"service.{self.id}"


def _entries() -> list[ServiceSpec]:
    printer = frozenset({Device.PRINTER})
    return [
        ServiceSpec("insurance_info", Group.QUERY, "query", QueryParams("insurance")),
        ServiceSpec("contributions", Group.QUERY, "query", QueryParams("contributions", months=12)),
        ServiceSpec("card_info", Group.QUERY, "query", QueryParams("cards")),
        ServiceSpec("print_insured_certificate", Group.PRINT, "certificate", CertificateParams("insured"), printer),
        ServiceSpec("print_payment_certificate", Group.PRINT, "certificate", CertificateParams("payment", 12), printer),
        ServiceSpec("print_rights_statement", Group.PRINT, "certificate", CertificateParams("rights", 12), printer),
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


CATALOGUE: dict[str, ServiceSpec] = {spec.id: spec for spec in _entries()}


def menu_items(enabled: list[str], printer: PrinterStatus, has_camera: bool) -> list[MenuItem]:
    """The menu of a terminal: its enabled services in their configured order; a service that needs
    the camera is left out without one, and one that prints is shown disabled, with the reason,
    while the printer cannot print."""
    items = []
    for name in enabled:
        spec = CATALOGUE[name]
        if Device.CAMERA in spec.needs and not has_camera:
            continue
        if Device.PRINTER in spec.needs and not printer.usable:
            reason = Message("service.printing_unavailable", {"reason_key": printer.reason_key})
            items.append(MenuItem(name, enabled=False, reason=reason))
        else:
            items.append(MenuItem(name, enabled=True))
    return items
