"""Catalogue entries that work on the 社会保障卡 itself, not through the gateway.

``change_pin`` 修改社保卡密码 (办理): old PIN, new PIN twice, CHANGE PIN sent to the card in the
reader (kiosk.flows.change_pin). The PINs never leave the terminal.
"""

from __future__ import annotations

from kiosk.service_types import CardParams, Group, ServiceSpec


def card_services() -> list[ServiceSpec]:
    """The card's own services, in catalogue order."""
    return [ServiceSpec("change_pin", Group.APPLY, "change_pin", CardParams())]
