"""缴费凭证 for a period the resident chose: the gateway keeps exactly those months (at most
MAX_PAYMENT_MONTHS), the verification states them, and the printed bytes say them. SQLite and
PostgreSQL."""

from __future__ import annotations

from drivers.printer.decode import decode
from drivers.printer.encoder import EscPosEncoder
from kiosk.layouts import build_certificate_document
from server import certificates as certs
from tests.server.conftest import Gateway


def _post(gateway: Gateway, sid: str, body: dict):
    return gateway.client.post(f"/api/v1/sessions/{sid}/certificates", json=body, headers=gateway.headers())


def test_a_chosen_period_is_certified_verified_and_printed(gateway: Gateway) -> None:
    sid = gateway.start(gateway.person(skip=5))
    body = {"kind": "payment", "from": "2019-03", "to": "2020-02", "idempotency_key": f"k-period-{gateway.kind}"}
    answer = _post(gateway, sid, body)
    assert answer.status_code in (200, 201), answer.text
    cert = answer.json()
    content = cert["content"]
    assert content["period"] == {"from": "2019-03", "to": "2020-02"}
    assert all("2019-03" <= row["period"] <= "2020-02" for row in content["rows"])
    assert all(row["type_code"] == "all" for row in content["rows"])
    code = cert["verification_code"]
    verified = gateway.client.get(f"/api/v1/certificates/{cert['serial']}", params={"code": code}).json()
    assert (verified["period_from"], verified["period_to"]) == ("2019-03", "2020-02")
    page = gateway.client.get(f"/verify/{cert['serial']}", params={"code": code}).text
    assert "2019-03 至 2020-02" in page
    for lang, label in (("zh_CN", "查询期间"), ("en", "Period")):
        job = decode(EscPosEncoder().encode(build_certificate_document(cert, lang)))
        assert any(label in line and "2019-03 — 2020-02" in line for line in job.lines), (lang, job.lines[:8])
    rows = decode(EscPosEncoder().encode(build_certificate_document(cert, "en"))).lines
    first = next(index for index, line in enumerate(rows) if line.startswith("2019-03"))
    assert rows[first].split()[1] == "All" and rows[first + 1].startswith("2019-04")  # one line a month


def test_at_most_sixty_months_with_a_clear_refusal(gateway: Gateway) -> None:
    sid = gateway.start(gateway.person(skip=5))
    last = certs.shift_period(certs.current_period(), -1)
    longest = certs.shift_period(last, -(certs.MAX_PAYMENT_MONTHS - 1))
    ok = _post(
        gateway, sid, {"kind": "payment", "from": longest, "to": last, "idempotency_key": f"k-60m-{gateway.kind}"}
    )
    assert ok.status_code in (200, 201), ok.text
    assert certs.months_between(longest, last) == certs.MAX_PAYMENT_MONTHS == 60
    one_more = certs.shift_period(longest, -1)
    refused = _post(
        gateway, sid, {"kind": "payment", "from": one_more, "to": last, "idempotency_key": f"k-61m-{gateway.kind}"}
    )
    error = refused.json()["error"]
    assert refused.status_code == 422 and error["code"] == "period_range_too_long"
    assert "60" in error["message_zh"] and "60" in error["message_en"]
