"""The generic flows a catalogue entry can name: ``FLOWS[spec.flow](host, spec)`` runs a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.flows.certificate import CertificateFlow
from kiosk.flows.change_pin import ChangePinFlow
from kiosk.flows.query import QueryFlow
from kiosk.flows.wizard import WizardFlow
from kiosk.session import Flow, FlowHost

FLOWS: dict[str, Callable[[FlowHost, Any], Flow]] = {
    "query": QueryFlow,
    "certificate": CertificateFlow,
    "wizard": WizardFlow,
    "change_pin": ChangePinFlow,
}
