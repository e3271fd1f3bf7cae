"""Certificate issue: content of 参保证明 / 缴费凭证 / 个人权益单, serials, codes and hashes.

The content is everything the kiosk's document layout needs, frozen at issue time and
stored; ``content_hash`` is the SHA-256 of the canonical JSON of (serial, kind, issued_at,
terminal_id, content), so a reprint is byte-for-byte the same document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from collections import defaultdict
from decimal import Decimal
from typing import Any

from common.ssn import mask_name, mask_ssn
from server import certificates_transfer as transfer
from server.auth import CODE_ALPHABET
from server.demo_basics import REGION_NAMES
from server.errors import ApiError
from server.store.base import ENROLMENT_STATUS_ZH, INSURANCE_TYPES, PersonRecord, ResidentDataSource

logger = logging.getLogger(__name__)

CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
KIND_TITLES = {
    "insured": "社会保险参保证明",
    "payment": "社会保险缴费凭证",
    "rights": "社会保险个人权益记录单",
    "transfer_out": transfer.TITLE,  # 转出参保凭证 (server.certificates_transfer)
}
KIND_PREFIX = {"insured": "CB", "payment": "JF", "rights": "QY", "transfer_out": transfer.PREFIX}
MAX_PAYMENT_MONTHS = 60


def region_name(code: str) -> str:
    return REGION_NAMES.get(code, code)


def current_period(now: dt.datetime | None = None) -> str:
    now = (now or dt.datetime.now(dt.UTC)).astimezone(CHINA_TZ)
    return f"{now.year:04d}-{now.month:02d}"


def shift_period(period: str, months: int) -> str:
    y, m = int(period[:4]), int(period[5:7])
    total = y * 12 + m - 1 + months
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def months_between(a: str, b: str) -> int:
    return (int(b[:4]) * 12 + int(b[5:7])) - (int(a[:4]) * 12 + int(a[5:7])) + 1


def check_range(from_period: str | None, to_period: str | None, now: dt.datetime | None = None) -> None:
    """Refuse future periods and reversed ranges (422, bilingual)."""
    current = current_period(now)
    for value in (from_period, to_period):
        if value is not None and value > current:
            raise ApiError(422, "period_in_future", f"期间 {value} 尚未到来", f"Period {value} is in the future")
        if value is not None and value < "1990-01":
            raise ApiError(422, "period_too_early", f"期间 {value} 早于系统记录", f"Period {value} predates records")
    if from_period and to_period and from_period > to_period:
        raise ApiError(422, "period_range_invalid", "起始期间晚于结束期间", "'from' is after 'to'")


def new_serial(kind: str, now: dt.datetime) -> str:
    local = now.astimezone(CHINA_TZ)
    return f"{KIND_PREFIX[kind]}{local:%Y%m%d}{secrets.randbelow(10**10):010d}"


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def content_hash(serial: str, kind: str, issued_at: str, terminal_id: str, content: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"serial": serial, "kind": kind, "issued_at": issued_at, "terminal_id": terminal_id, "content": content},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _person_block(person: PersonRecord) -> dict[str, Any]:
    # The printed certificate identifies its holder: it carries the full number; the verification
    # page and the logs only ever show the masked forms.
    return {
        "name": person.name,
        "name_masked": mask_name(person.name),
        "ssn": person.ssn,
        "ssn_masked": mask_ssn(person.ssn),
        "gender": "男" if person.gender == "1" else "女",
        "region": person.region,
        "region_name": region_name(person.region),
    }


def resolve_periods(
    kind: str,
    from_period: str | None,
    to_period: str | None,
    source: ResidentDataSource,
    ssn: str,
    now: dt.datetime | None = None,
) -> tuple[str, str]:
    """Default ranges: insured and transfer_out → whole history; payment → the last 12 months; rights →
    the last full year."""
    last = shift_period(current_period(now), -1)
    if kind == "rights" and not from_period and not to_period:
        year = int(last[:4]) if last.endswith("-12") else int(last[:4]) - 1
        from_p, to_p = f"{year:04d}-01", f"{year:04d}-12"
    else:
        to_p = to_period or last
        if from_period:
            from_p = from_period
        elif kind in ("insured", "transfer_out"):
            from_p = min(source.paid_months(ssn)[1] or to_p, to_p)
        elif kind == "payment":
            from_p = shift_period(to_p, -11)
        else:
            from_p = f"{to_p[:4]}-01"
    check_range(from_p, to_p, now)
    if kind == "payment" and months_between(from_p, to_p) > MAX_PAYMENT_MONTHS:
        raise ApiError(
            422,
            "period_range_too_long",
            f"缴费凭证一次最多打印 {MAX_PAYMENT_MONTHS} 个月",
            f"A payment certificate covers at most {MAX_PAYMENT_MONTHS} months",
        )
    return from_p, to_p


def build_content(
    kind: str, person: PersonRecord, source: ResidentDataSource, from_p: str, to_p: str, issuing_body: str
) -> dict[str, Any]:
    content: dict[str, Any] = {
        "title": KIND_TITLES[kind],
        "person": _person_block(person),
        "period": {"from": from_p, "to": to_p},
        "issuing_body": f"{region_name(person.region)}{issuing_body}",
    }
    content["issuer"] = content["issuing_body"]  # the key the kiosk's document layout reads
    if kind == "insured":
        months, first = source.paid_months(person.ssn)
        page = source.contributions(person.ssn, from_p, to_p, "110", 1, 1)
        content["enrolments"] = [
            {
                "type_code": e.type_code,
                "type_name": INSURANCE_TYPES.get(e.type_code, e.type_code),
                "status": ENROLMENT_STATUS_ZH.get(e.status, e.status),
                "start_date": e.start_date.isoformat(),
                "unit_name": e.unit_name or "",
                "region_name": region_name(e.region),
            }
            for e in source.enrolments(person.ssn)
        ]
        content["summary"] = {
            "months_paid_total": months,
            "first_paid_period": first,
            "months_paid_in_period": page.months,
        }
        content["totals"] = {"months": months}
        content["statement"] = (
            f"兹证明 {person.name} 在 {from_p} 至 {to_p} 期间参加社会保险情况如上，养老保险累计缴费 {months} 个月。"
        )
    elif kind == "payment":
        page = source.contributions(person.ssn, from_p, to_p, None, 1, 10_000)
        by_month: dict[str, dict[str, Any]] = {}
        by_type: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for c in sorted(page.items, key=lambda c: (c.period, c.type_code)):
            row = by_month.setdefault(
                c.period,
                {
                    "period": c.period,
                    "base": _money(c.base),
                    "personal": Decimal(0),
                    "unit": Decimal(0),
                    "paid": True,
                    "unit_name": c.unit_name or "",
                    "type_code": "all",  # every type of the month together; the kiosk names it in its language
                    "type_name": "各险种合计",
                    "region_name": region_name(c.region),
                },
            )
            row["personal"] += c.personal_amount
            row["unit"] += c.unit_amount
            row["paid"] = row["paid"] and c.paid
            by_type[c.type_code][0] += c.personal_amount
            by_type[c.type_code][1] += c.unit_amount
        content["rows"] = [
            {**r, "personal": _money(r["personal"]), "unit": _money(r["unit"])} for r in by_month.values()
        ]
        content["totals_by_type"] = [
            {
                "type_code": code,
                "type_name": INSURANCE_TYPES.get(code, code),
                "personal": _money(v[0]),
                "unit": _money(v[1]),
            }
            for code, v in sorted(by_type.items())
        ]
        content["totals"] = {
            "months": len(by_month),
            "months_paid": page.months,
            "personal": _money(page.personal_total),
            "unit": _money(page.unit_total),
            "total": _money(page.personal_total + page.unit_total),
        }
    elif kind == "transfer_out":
        content.update(transfer.transfer_out_content(person, source, from_p, to_p, region_name(person.region)))
    else:
        years = source.yearly_summary(person.ssn, int(from_p[:4]), int(to_p[:4]))
        content["years"] = [
            {
                "year": y.year,
                "months_paid": y.months_paid,
                "average_base": _money(y.average_base),
                "personal": _money(y.personal_total),
                "unit": _money(y.unit_total),
                "pension_account_balance": _money(y.account_balance),
                "by_type": [
                    {"type_code": code, "type_name": INSURANCE_TYPES.get(code, code), **v}
                    for code, v in y.by_type.items()
                ],
            }
            for y in years
        ]
        months, first = source.paid_months(person.ssn)
        balance = content["years"][-1]["pension_account_balance"] if content["years"] else "0.00"
        content["summary"] = {
            "months_paid_total": months,
            "first_paid_period": first,
            "pension_account_balance": balance,
        }
        content["totals"] = {
            "months": sum(y["months_paid"] for y in content["years"]),
            "personal": _money(sum((Decimal(y["personal"]) for y in content["years"]), Decimal(0))),
            "unit": _money(sum((Decimal(y["unit"]) for y in content["years"]), Decimal(0))),
            "account_balance": balance,
        }
    return content
