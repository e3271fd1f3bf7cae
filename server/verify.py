"""Public certificate verification: JSON under /api/v1 and a Chinese HTML page at /verify/{serial}.

Both need the verification code printed on the certificate; without the right code nothing
about the certificate is revealed. Names and numbers are shown masked. A genuine answer also shows
what the certificate certified (its type, period, insurance types, totals and summary figures), so
a checker can compare them with the paper: a genuine serial on a sheet with altered figures is
caught by eye.
"""

from __future__ import annotations

import datetime as dt
import hmac
import html
import logging
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from common.ssn import mask_name, mask_ssn
from server.certificates import CHINA_TZ, KIND_TITLES
from server.context import get_db
from server.errors import COMMON_ERROR_RESPONSES
from server.models import Certificate
from server.schemas import VerificationResponse

logger = logging.getLogger(__name__)

router = APIRouter(responses=COMMON_ERROR_RESPONSES, tags=["verification"])
SerialPath = Path(min_length=1, max_length=40)
CodeQuery = Query(default="", max_length=16, description="Verification code printed on the certificate")


def verify(db: Session, serial: str, code: str) -> VerificationResponse:
    cert = db.get(Certificate, serial) if serial.isascii() and serial.isalnum() else None
    # Bytes, not str: compare_digest raises TypeError on non-ASCII text, which answered 500.
    given = code.strip().upper().encode("utf-8")
    if cert is None or not hmac.compare_digest(cert.verification_code.encode("utf-8"), given):
        return VerificationResponse(genuine=False, serial=serial)
    issued = cert.issued_at if cert.issued_at.tzinfo else cert.issued_at.replace(tzinfo=dt.UTC)
    return VerificationResponse(
        genuine=True,
        serial=cert.serial,
        kind=cert.kind,
        title=KIND_TITLES.get(cert.kind),
        issued_at=issued.isoformat(),
        terminal_id=cert.terminal_id,
        name_masked=mask_name(cert.content.get("person", {}).get("name")),
        ssn_masked=mask_ssn(cert.ssn),
        period_from=cert.period_from,
        period_to=cert.period_to,
        content_hash=cert.content_hash,
        reprint_count=cert.reprint_count,
        insurance_types=_insurance_types(cert.content),
        totals=_figures(cert.content.get("totals")),
        summary=_figures(cert.content.get("summary")),
    )


def _insurance_types(content: dict[str, Any]) -> list[str] | None:
    """The insurance types the certificate names (enrolments, per-type totals or yearly rows)."""
    names: list[str] = []
    rows = list(content.get("enrolments") or []) + list(content.get("totals_by_type") or [])
    for year in content.get("years") or []:
        rows.extend(year.get("by_type") or [])
    for row in rows:
        name = row.get("type_name") if isinstance(row, dict) else None
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names or None


def _figures(block: Any) -> dict[str, Any] | None:
    """The scalar figures of a content block (amounts are strings in yuan, counts integers)."""
    if not isinstance(block, dict):
        return None
    return {k: v for k, v in block.items() if isinstance(v, str | int) or v is None} or None


# The page's labels for the figures; a key without one is shown under its own name.
FIGURE_LABELS = {
    "months": "缴费月数合计",
    "months_paid": "已缴费月数",
    "personal": "个人缴费合计（元）",
    "unit": "单位缴费合计（元）",
    "total": "缴费总额（元）",
    "account_balance": "养老保险个人账户余额（元）",
    "months_paid_total": "养老保险累计缴费月数",
    "first_paid_period": "首次缴费年月",
    "months_paid_in_period": "证明期间内缴费月数",
    "pension_account_balance": "养老保险个人账户余额（元）",
}


@router.get("/api/v1/certificates/{serial}", response_model=VerificationResponse)
def verify_json(serial: str = SerialPath, code: str = CodeQuery, db: Session = Depends(get_db)) -> VerificationResponse:
    """Is this a certificate the gateway issued? ``genuine: false`` for unknown serials or wrong codes."""
    return verify(db, serial, code)


_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>社会保险证明真伪查验</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}}
.ok{{color:#0a6b2d}}.bad{{color:#a40000}}th{{text-align:left;padding-right:1em}}</style></head>
<body><h1>社会保险证明真伪查验</h1>{body}</body></html>"""


@router.get("/verify/{serial}", response_class=HTMLResponse)
def verify_page(serial: str = SerialPath, code: str = CodeQuery, db: Session = Depends(get_db)) -> HTMLResponse:
    """The page the certificate's QR code opens: genuine or not, and what it certified."""
    result = verify(db, serial, code)
    if not result.genuine:
        body = (
            f'<p class="bad"><strong>未能验证</strong>：编号 {html.escape(serial)} 的证明不存在或验证码不正确。'
            "请核对证明上的编号和验证码。</p>"
        )
        return HTMLResponse(_PAGE.format(body=body), status_code=404)
    issued = dt.datetime.fromisoformat(result.issued_at or "").astimezone(CHINA_TZ)
    rows = [
        ("证明类型", result.title or ""),
        ("证明编号", result.serial),
        ("姓名", result.name_masked or ""),
        ("社会保障号码", result.ssn_masked or ""),
        ("证明期间", f"{result.period_from} 至 {result.period_to}"),
        ("出具时间", f"{issued:%Y年%m月%d日 %H:%M}"),
        ("出具终端", result.terminal_id or ""),
        ("补打次数", str(result.reprint_count)),
    ]
    if result.insurance_types:
        rows.append(("险种", "、".join(result.insurance_types)))
    shown: set[str] = set()
    for block in (result.totals or {}, result.summary or {}):
        for key, value in block.items():
            label = FIGURE_LABELS.get(key, key)
            if label not in shown and value is not None:  # balance/months appear in both blocks
                shown.add(label)
                rows.append((label, str(value)))
    rows.append(("内容摘要 (SHA-256)", result.content_hash or ""))
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    body = (
        '<p class="ok"><strong>真实有效</strong>：此证明由社会保险经办机构自助终端出具。</p>'
        "<p>请逐项核对纸面证明上的类型、期间和金额与下表一致；不一致即为涂改。</p>"
        f"<table>{table}</table>"
    )
    return HTMLResponse(_PAGE.format(body=body))
