"""Catalogue entries of the 查询 and 打印 groups: tables from the gateway and certificates."""

from __future__ import annotations

from kiosk.i18n import N_
from kiosk.periods import MONTHS, YEAR
from kiosk.service_types import CertificateParams, Device, Group, QueryParams, ServiceSpec

# The menu's words for the entries below (``service.<id>``; kiosk.records names the others).
TITLE_KEYS = (
    N_("service.rights_statement"),
    N_("service.benefits"),
    N_("service.applications"),
    N_("service.print_transfer_certificate"),
)
PAGE_ROWS = 6  # rows per page of a long table: big enough to read, few enough to need no scrolling


def record_services() -> list[ServiceSpec]:
    printer = frozenset({Device.PRINTER})
    return [
        ServiceSpec("insurance_info", Group.QUERY, "query", QueryParams("insurance")),
        ServiceSpec(
            "contributions",
            Group.QUERY,
            "query",
            QueryParams(
                "contributions",
                page_size=PAGE_ROWS,
                period=MONTHS,
                print_service="print_payment_certificate",
                print_key=N_("contrib.print_period"),
            ),
        ),
        ServiceSpec("rights_statement", Group.QUERY, "query", QueryParams("rights", period=YEAR)),
        ServiceSpec("benefits", Group.QUERY, "query", QueryParams("benefits", page_size=PAGE_ROWS)),
        ServiceSpec("applications", Group.QUERY, "query", QueryParams("applications")),
        ServiceSpec("card_info", Group.QUERY, "query", QueryParams("cards")),
        ServiceSpec("print_insured_certificate", Group.PRINT, "certificate", CertificateParams("insured"), printer),
        ServiceSpec(
            "print_payment_certificate",
            Group.PRINT,
            "certificate",
            CertificateParams("payment", choose_period=True),
            printer,
        ),
        ServiceSpec("print_rights_statement", Group.PRINT, "certificate", CertificateParams("rights", 12), printer),
        # 转出参保凭证 for 关系转移接续: everything paid at this 参保地, so no period.
        ServiceSpec(
            "print_transfer_certificate", Group.PRINT, "certificate", CertificateParams("transfer_out"), printer
        ),
    ]
