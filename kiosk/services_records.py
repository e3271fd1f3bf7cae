"""Catalogue entries of the 查询 and 打印 groups: tables from the gateway and certificates."""

from __future__ import annotations

from kiosk.service_types import CertificateParams, Device, Group, QueryParams, ServiceSpec


def record_services() -> list[ServiceSpec]:
    printer = frozenset({Device.PRINTER})
    return [
        ServiceSpec("insurance_info", Group.QUERY, "query", QueryParams("insurance")),
        ServiceSpec("contributions", Group.QUERY, "query", QueryParams("contributions", months=12)),
        ServiceSpec("card_info", Group.QUERY, "query", QueryParams("cards")),
        ServiceSpec("print_insured_certificate", Group.PRINT, "certificate", CertificateParams("insured"), printer),
        ServiceSpec("print_payment_certificate", Group.PRINT, "certificate", CertificateParams("payment", 12), printer),
        ServiceSpec("print_rights_statement", Group.PRINT, "certificate", CertificateParams("rights", 12), printer),
    ]
