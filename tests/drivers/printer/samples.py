"""Sample certificate/receipt JSON in the server's shape, for printer and layout tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from common.ssn import make_ssn
from kiosk.config import PrinterConfig, load_config

SSN = make_ssn("441900", dt.date(1985, 3, 14), 123)  # 东莞
VERIFY_URL = "https://renshe.example.cn/v/DG2026000123?c=7K4QX2"


def make_certificate(
    kind: str = "payment", months: int = 12, reprint: bool = False, name: str = "欧阳（测试）"
) -> dict[str, Any]:
    """A certificate as the server issues it, with ``months`` monthly contributions for 养老 and 医疗."""
    rows = []
    for i in range(months):
        period = f"2025-{i % 12 + 1:02d}" if i < 12 else f"2026-{i % 12 + 1:02d}"
        rows.append(
            {
                "period": period,
                "type_name": "职工养老",
                "base": "5284.00",
                "personal": "422.72",
                "unit": "844.48" if i % 5 else "792.60",
                "paid": i != months - 1,
            }
        )
    return {
        "serial": "DG2026000123",
        "kind": kind,
        "issued_at": "2026-11-24T09:30:15+08:00",
        "terminal_id": "DG-NC-0007",
        "verification_code": "7K4QX2",
        "content_hash": "ab" * 32,
        "verify_url": VERIFY_URL,
        "reprint": reprint,
        "content": {
            "title": {
                "insured": "社会保险参保证明",
                "payment": "社会保险缴费凭证",
                "rights": "社会保险个人权益记录单",
            }.get(kind, "证明"),
            "person": {"name": name, "ssn": SSN, "gender": "1", "region_name": "广东省东莞市"},
            "enrolments": [
                {
                    "type_code": "110",
                    "type_name": "企业职工基本养老保险",
                    "status": "正常参保",
                    "start_date": "2008-07-01",
                    "unit_name": "东莞市某某电子科技有限公司（南城分公司）",
                    "region": "441900",
                },
                {
                    "type_code": "310",
                    "type_name": "职工基本医疗保险",
                    "status": "正常参保",
                    "start_date": "2008-07-01",
                    "unit_name": "东莞市某某电子科技有限公司",
                    "region": "441900",
                },
                {
                    "type_code": "210",
                    "type_name": "失业保险",
                    "status": "暂停缴费",
                    "start_date": "2010-01-01",
                    "unit_name": "",
                    "region": "441900",
                },
            ],
            "rows": rows,
            "totals": {"months": months, "personal": f"{422.72 * months:.2f}"},
            "period": {"from": rows[0]["period"] if rows else "", "to": rows[-1]["period"] if rows else ""},
            "issuer": "东莞市社会保险基金管理中心",
        },
    }


def make_receipt() -> dict[str, Any]:
    return {
        "number": "SQ20261124000042",
        "type_name": "社保卡挂失",
        "submitted_at": "2026-11-24T10:02:00+08:00",
        "status": "已受理",
        "terminal_id": "DG-NC-0007",
        "person": {"name": "张三丰", "ssn": SSN},
        "fields": {"挂失类型": "临时挂失", "联系电话": "138****0000", "原因": "遗失（地铁站）"},
        "next_steps": ["携带身份证到任一社保服务网点办理补卡；", "临时挂失五日后自动解除。"],
        "contact": "12333",
        "verify_url": "https://renshe.example.cn/a/SQ20261124000042",
    }


def printer_config(**values: object) -> PrinterConfig:
    """The ``[printer]`` table of config/default.toml with ``values`` set, validated like a terminal's."""
    return load_config(overrides=[{"printer": values}]).printer
