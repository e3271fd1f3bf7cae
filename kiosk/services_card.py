"""Catalogue entries that work on the 社会保障卡 itself, not through the gateway.

``change_pin`` 修改社保卡密码 (办理): old PIN, new PIN twice, CHANGE PIN sent to the card in the
reader (kiosk.flows.change_pin). The PINs never leave the terminal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kiosk.service_types import Group, ServiceSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChangePinParams:
    """The 修改密码 flow has nothing to configure per entry: the PIN rules are kiosk.pin_policy's."""


def card_services() -> list[ServiceSpec]:
    """The card's own services, in catalogue order."""
    return [ServiceSpec("change_pin", Group.APPLY, "change_pin", ChangePinParams())]  # type: ignore[arg-type]
