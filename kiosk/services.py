"""The service catalogue: which services exist, what each needs, and how its data is shown.

Formatting lives here (not in screens) so every screen stays a dumb view of KioskState and the
same words appear in every language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.i18n import tr
from kiosk.state import Records


@dataclass(frozen=True)
class Service:
    name: str
    prints: bool = False
    certificate_kind: str | None = None
    months: int | None = None  # period length for certificates that cover a period


CATALOGUE: dict[str, Service] = {
    "insurance_info": Service("insurance_info"),
    "contributions": Service("contributions", months=12),
    "print_insured_certificate": Service("print_insured_certificate", prints=True, certificate_kind="insured"),
    "print_payment_certificate": Service(
        "print_payment_certificate", prints=True, certificate_kind="payment", months=12
    ),
    "print_rights_statement": Service("print_rights_statement", prints=True, certificate_kind="rights", months=12),
}


def period_back(months: int, today: dt.date | None = None) -> tuple[str, str]:
    """(from, to) as YYYY-MM covering the last ``months`` complete months before today."""
    today = today or dt.date.today()
    end_year, end_month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    start_index = end_year * 12 + (end_month - 1) - (months - 1)
    start_year, start_month = divmod(start_index, 12)
    return f"{start_year:04d}-{start_month + 1:02d}", f"{end_year:04d}-{end_month:02d}"


def insurance_records(data: dict, lang: str) -> Records:
    """参保信息 from the gateway's /insurance answer."""
    rows = [
        [
            str(item.get("type_name", item.get("type_code", ""))),
            str(item.get("status", "")),
            str(item.get("start_date", "")),
            str(item.get("unit_name", "")),
        ]
        for item in data.get("enrolments", [])
    ]
    summary = []
    months = (data.get("summary") or {}).get("months_paid_total")
    if months is not None:
        summary.append(tr("insurance.months_paid", lang, months=months))
    return Records(
        title=tr("insurance.title", lang),
        columns=[tr(f"insurance.col.{name}", lang) for name in ("type", "status", "start", "unit")],
        rows=rows,
        summary=summary,
    )


def contribution_records(data: dict, lang: str) -> Records:
    """缴费明细 from the gateway's /contributions answer."""
    rows = []
    for item in data.get("items", []):
        rows.append(
            [
                str(item.get("period", "")),
                str(item.get("type_name", "")),
                _money(item.get("base")),
                _money(item.get("personal")),
                _money(item.get("unit")),
            ]
        )
    totals = data.get("totals") or {}
    summary = []
    if totals:
        summary.append(
            tr(
                "contrib.totals",
                lang,
                months=totals.get("months_paid", "-"),
                personal=_money(totals.get("personal")),
                unit=_money(totals.get("unit")),
            )
        )
    return Records(
        title=tr("service.contributions", lang),
        columns=[tr(f"contrib.col.{name}", lang) for name in ("period", "type", "base", "personal", "unit")],
        rows=rows,
        summary=summary,
    )


def _money(value: object) -> str:
    """Amounts arrive as decimal strings (exact) or numbers; shown with two decimals and thousands separators."""
    try:
        return f"{float(value):,.2f}" if value is not None and value != "" else ""
    except (TypeError, ValueError):
        return str(value)
