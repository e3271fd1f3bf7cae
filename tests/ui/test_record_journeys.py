"""The 查询 and 打印 services in the real Kivy app on Xvfb (``main.py --demo --script records``):
缴费明细 for 近三年 and for months chosen in the from–to editor, paged; 待遇发放; 办事进度 with
each application's status history; 个人权益单 year by year; 社保卡信息 and 制卡进度; 缴费凭证 of the
table's months and of months chosen first, previewed; 转出参保凭证 previewed and printed — the
printed bytes decoded. Once in 简体, then in English and 繁體 in
长辈模式; every screenshot kept the legibility rules of its mode."""

from __future__ import annotations

import json

import pytest

from drivers.printer.decode import decode_escpos

pytestmark = pytest.mark.ui

SESSION_SHOTS = [
    "menu",
    "contributions-this-year",
    "contributions-3-years",
    "contributions-page-2",
    "contributions-editor",
    "contributions-chosen",
    "contributions-print-preview",
    "payment-certificate-months",
    "payment-certificate-preview",
    "benefits",
    "applications",
    "rights-statement",
    "rights-statement-year-before",
    "card-info",
    "transfer-preview",
    "transfer-printed",
]
SHOTS = [f"{tag}-{name}" for tag in ("zh_CN-normal", "en-elder", "zh_TW-elder") for name in SESSION_SHOTS]


def test_every_record_service_in_one_session(run_kiosk, tmp_path):
    out_dir = tmp_path / "records"
    completed = run_kiosk(
        "--demo", "--data-dir", str(tmp_path / "demo"), "--script", "records", "--output", str(out_dir), timeout=240
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-4000:]
    report = json.loads((out_dir / "journey.json").read_text(encoding="utf-8"))
    assert report["ok"], report
    assert [name.split("-", 1)[1].removesuffix(".png") for name in report["screenshots"]] == SHOTS
    decoded = decode_escpos((out_dir / "transfer.bin").read_bytes())
    text = "".join(decoded.lines)  # the title wraps on 80 mm paper
    assert "参保缴费凭证（转出）" in text and "参保地" in text, text[:400]
    assert decoded.qr_payloads and decoded.qr_payloads[0].startswith("http")
