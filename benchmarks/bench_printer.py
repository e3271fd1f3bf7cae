"""Printer figures: a 缴费凭证/参保证明 with 12 months of contributions, text mode vs one raster image.

Text mode is our encoder (GB18030 in Chinese mode, native QR); the baseline is the same document
rendered by the preview and sent with python-escpos ``image()`` (GS v 0), as many kiosks do.
Goals: ≥ 20× fewer bytes than raster, encode ≤ 20 ms. Serial time = bytes × 10 bits / 115 200 baud.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

from escpos.printer import Dummy

from drivers.printer.encoder import PROFILES, EscPosEncoder
from drivers.printer.preview import render_preview
from kiosk.layouts import build_certificate_document

logger = logging.getLogger(__name__)

BAUD = 115_200


def _certificate() -> dict[str, Any]:
    rows = [
        {
            "period": f"2025-{m:02d}",
            "type_name": "职工养老",
            "base": "5284.00",
            "personal": "422.72",
            "unit": "844.48",
            "paid": True,
        }
        for m in range(1, 13)
    ]
    return {
        "serial": "DG2026000123",
        "kind": "payment",
        "issued_at": "2026-11-24T09:30:15+08:00",
        "terminal_id": "DG-NC-0007",
        "verification_code": "7K4QX2",
        "verify_url": "https://renshe.example.cn/v/DG2026000123?c=7K4QX2",
        "reprint": False,
        "content": {
            "title": "社会保险缴费凭证",
            "person": {"name": "欧阳明", "ssn": "441900198503141237", "gender": "1", "region_name": "广东省东莞市"},
            "rows": rows,
            "totals": {"months": 12},
            "period": {"from": "2025-01", "to": "2025-12"},
            "issuer": "东莞市社会保险基金管理中心",
        },
    }


def _timed(func: Callable[[], bytes], repeats: int) -> tuple[bytes, float]:
    """Median wall time in ms (the first call warms caches and is not counted)."""
    data = func()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        data = func()
        times.append((time.perf_counter() - started) * 1000)
    return data, statistics.median(times)


def run(quick: bool) -> list[dict]:
    width = 576
    doc = build_certificate_document(_certificate())
    encoder = EscPosEncoder(width, "gb18030", "native")

    def raster() -> bytes:
        page = render_preview(doc, width)
        printer = Dummy(profile=PROFILES[width])
        printer._raw(b"\x1b@")
        printer.image(page)
        printer._raw(b"\x1bd\x04\x1dV\x00")
        return bytes(printer.output)

    repeats = 5 if quick else 30
    text_bytes, text_ms = _timed(lambda: encoder.encode(doc), repeats * 4)
    raster_bytes, raster_ms = _timed(raster, max(2, repeats // 5))
    return [
        {
            "name": "printer: 缴费凭证 12 months, bytes (text mode)",
            "value": len(text_bytes),
            "unit": "bytes",
            "baseline_name": "same as one raster image",
            "baseline": len(raster_bytes),
        },
        {
            "name": "printer: encode time (text mode)",
            "value": text_ms,
            "unit": "ms",
            "baseline_name": "preview + escpos image()",
            "baseline": raster_ms,
        },
        {
            "name": "printer: encode time vs goal",
            "value": text_ms,
            "unit": "ms",
            "baseline_name": "goal",
            "baseline": 20.0,
        },
        {
            "name": "printer: 115200-baud serial time (text)",
            "value": len(text_bytes) * 10 / BAUD,
            "unit": "s",
            "baseline_name": "raster on the same link",
            "baseline": len(raster_bytes) * 10 / BAUD,
        },
    ]
