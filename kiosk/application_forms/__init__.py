"""The forms of the 办理 wizards, one module per family of application kinds (see
kiosk.services_applications, which lists them in the catalogue)."""

from __future__ import annotations

from kiosk.forms import Choice, FormField, WizardForm
from kiosk.service_types import Group, ServiceSpec, WizardParams


def choices(prefix: str, pairs: tuple[tuple[str, str], ...]) -> tuple[Choice, ...]:
    """Options from (key suffix, value sent) pairs: the words of each are ``<prefix>.<suffix>``."""
    return tuple(Choice(value, f"{prefix}.{key}") for key, value in pairs)


def wizard(kind: str, *fields: FormField) -> ServiceSpec:
    """A 办理 catalogue entry whose service id is the gateway's kind, with its notice ``notice.<kind>``."""
    return ServiceSpec(kind, Group.APPLY, "wizard", WizardParams(WizardForm(kind, f"notice.{kind}", fields)))
