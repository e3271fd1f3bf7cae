"""The shape of a catalogue entry: what a service is, which devices it needs, which flow runs it.

Kept apart from the entries themselves (``kiosk.services_records`` for queries and prints,
``kiosk.services_applications`` for the wizards) so each list grows on its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kiosk.forms import WizardForm


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
    print_key: str | None = None  # its button's words; printing the table's chosen months (kiosk.flows.query)
    # The resident chooses the period: "months" (今年/去年/近三年/from–to) or "year" (one year);
    # None: ``months`` back from today, or everything.
    period: str | None = None


@dataclass(frozen=True)
class CertificateParams:
    """A certificate the gateway issues: its kind and the months back it covers (None: no period),
    or the months the resident chooses."""

    kind: str
    months: int | None = None
    choose_period: bool = False  # the resident chooses the months first (kiosk.periods.certificate_choice)


@dataclass(frozen=True)
class WizardParams:
    form: WizardForm


@dataclass(frozen=True)
class CardParams:
    """A service on the 社会保障卡 itself (修改密码): nothing to configure per entry; the PIN rules
    are kiosk.pin_policy's."""


Params = QueryParams | CertificateParams | WizardParams | CardParams


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
