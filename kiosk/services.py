"""The service catalogue: every service a resident can choose, declared as data.

An entry says what the service is called (``service.<id>`` in the message catalogue), which menu
group it belongs to, which devices it needs, which generic flow runs it and that flow's parameters.
Adding a service is adding an entry (``kiosk.services_records`` for queries and prints,
``kiosk.services_applications`` for applications and their forms); the session core never
changes. Which of them a terminal offers comes from ``services.enabled`` in its config.
"""

from __future__ import annotations

from kiosk.printer_status import PrinterStatus
from kiosk.service_types import (
    CardParams,
    CertificateParams,
    Device,
    Group,
    Params,
    QueryParams,
    ServiceSpec,
    WizardParams,
)
from kiosk.services_applications import application_services
from kiosk.services_card import card_services
from kiosk.services_records import record_services
from kiosk.state import MenuItem, Message

__all__ = [
    "CATALOGUE",
    "CardParams",
    "CertificateParams",
    "Device",
    "Group",
    "Params",
    "QueryParams",
    "ServiceSpec",
    "WizardParams",
    "menu_items",
]

CATALOGUE: dict[str, ServiceSpec] = {
    spec.id: spec for spec in record_services() + application_services() + card_services()
}


def menu_items(enabled: list[str], printer: PrinterStatus, has_camera: bool) -> list[MenuItem]:
    """The menu of a terminal: its enabled services in their configured order; a service that needs
    the camera is shown disabled, with the reason, without a working one, and one that prints
    likewise while the printer cannot print."""
    items = []
    for name in enabled:
        spec = CATALOGUE[name]
        if Device.CAMERA in spec.needs and not has_camera:
            items.append(MenuItem(name, enabled=False, reason=Message("service.camera_unavailable")))
        elif Device.PRINTER in spec.needs and not printer.usable:
            reason = Message("service.printing_unavailable", {"reason_key": printer.reason_key})
            items.append(MenuItem(name, enabled=False, reason=reason))
        else:
            items.append(MenuItem(name, enabled=True))
    return items
