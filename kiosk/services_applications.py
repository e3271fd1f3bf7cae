"""Catalogue entries of the 办理 group: one wizard per application kind of the gateway.

The forms themselves live in kiosk.application_forms, one module per family; this list is their
order in the catalogue (the menu's order comes from the terminal's ``services.enabled``).
"""

from __future__ import annotations

from kiosk.application_forms.pension_card import pension_card_services
from kiosk.application_forms.services import other_services
from kiosk.application_forms.unemployment import unemployment_services
from kiosk.service_types import ServiceSpec


def application_services() -> list[ServiceSpec]:
    return [*unemployment_services(), *pension_card_services(), *other_services()]
