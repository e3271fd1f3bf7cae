"""The 转出参保凭证 (certificate kind ``transfer_out``): what a resident leaving a region takes to
the next one for 养老保险关系转移 / 失业保险关系转移.

It covers the person's contributions in their 参保地 (the region the relation leaves) over the
period: per insurance type the months paid, the personal and unit totals and the average base,
the employers, the first and last months, and the 养老 personal account at the end of the period.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from decimal import Decimal
from typing import Any

from server.store.base import INSURANCE_TYPES, PersonRecord, ResidentDataSource

logger = logging.getLogger(__name__)

TITLE = "社会保险参保缴费凭证（转出）"
PREFIX = "ZC"
TRANSFER_TYPES = ("110", "210", "310")


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def transfer_out_content(
    person: PersonRecord, source: ResidentDataSource, from_p: str, to_p: str, region_name: str
) -> dict[str, Any]:
    """The kind's part of the certificate content (added to the common blocks)."""
    page = source.contributions(person.ssn, from_p, to_p, None, 1, 100_000)
    here = [c for c in page.items if c.region == person.region and c.type_code in TRANSFER_TYPES]
    by_type: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"months": 0, "personal": Decimal(0), "unit": Decimal(0), "bases": Decimal(0)}
    )
    periods: list[str] = []
    units: list[str] = []
    for c in sorted(here, key=lambda c: (c.period, c.type_code)):
        if not c.paid:
            continue
        row = by_type[c.type_code]
        row["months"] += 1
        row["personal"] += c.personal_amount
        row["unit"] += c.unit_amount
        row["bases"] += c.base
        periods.append(c.period)
        if c.unit_name and c.unit_name not in units:
            units.append(c.unit_name)
    totals_by_type = [
        {
            "type_code": code,
            "type_name": INSURANCE_TYPES.get(code, code),
            "months": row["months"],
            "personal": _money(row["personal"]),
            "unit": _money(row["unit"]),
            "average_base": _money(row["bases"] / row["months"]) if row["months"] else "0.00",
        }
        for code, row in sorted(by_type.items())
    ]
    years = source.yearly_summary(person.ssn, int(from_p[:4]), int(to_p[:4]))
    pension_months = by_type["110"]["months"] if "110" in by_type else 0
    return {
        "transfer_region": person.region,
        "transfer_region_name": region_name,
        "totals_by_type": totals_by_type,
        "units": units,
        "summary": {
            "months_paid_in_region": pension_months,
            "first_period_in_region": min(periods) if periods else None,
            "last_period_in_region": max(periods) if periods else None,
            "pension_account_balance": _money(years[-1].account_balance) if years else "0.00",
        },
        "totals": {
            "months": pension_months,
            "personal": _money(sum((r["personal"] for r in by_type.values()), Decimal(0))),
            "unit": _money(sum((r["unit"] for r in by_type.values()), Decimal(0))),
        },
        "statement": (
            f"兹证明 {person.name} 在{region_name}参加社会保险缴费情况如上，"
            f"养老保险在本地累计缴费 {pension_months} 个月，凭此凭证办理社会保险关系转移接续。"
        ),
    }
