"""Security review of the gateway: non-ASCII codes, out-of-range command ids, hidden SQL parameters,
and a /verify answer that shows what the certificate certified. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from server.models import Certificate
from tests.server.conftest import Gateway


def _issue(gateway: Gateway, kind: str, key: str) -> dict:
    sid = gateway.start(gateway.person(skip=4))
    answer = gateway.client.post(
        f"/api/v1/sessions/{sid}/certificates",
        json={"kind": kind, "idempotency_key": f"{key}-{gateway.kind}"},
        headers=gateway.headers(),
    )
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


@pytest.mark.parametrize("code", ["é", "验证码", "ÄBCDEFGH", "\u00df"])
def test_non_ascii_verification_code_is_not_genuine_not_a_500(gateway: Gateway, code: str) -> None:
    cert = _issue(gateway, "insured", "k-rvw-nonascii")
    json_answer = gateway.client.get(f"/api/v1/certificates/{cert['serial']}", params={"code": code})
    assert json_answer.status_code == 200 and json_answer.json()["genuine"] is False
    page = gateway.client.get(f"/verify/{cert['serial']}", params={"code": code})
    assert page.status_code == 404 and "未能验证" in page.text


@pytest.mark.parametrize("command_id", [2**31, 2**63, 2**64 + 5, 0, -1])
def test_command_id_outside_the_integer_column_is_a_422(gateway: Gateway, command_id: int) -> None:
    answer = gateway.client.post(
        f"/api/v1/terminal/commands/{command_id}/ack", json={"ok": True, "result": ""}, headers=gateway.headers()
    )
    assert answer.status_code == 422, answer.text


def test_verify_shows_type_period_and_totals(gateway: Gateway) -> None:
    cert = _issue(gateway, "payment", "k-rvw-figures")
    with gateway.ctx.sessions() as db:
        content = db.get(Certificate, cert["serial"]).content
    answer = gateway.client.get(f"/api/v1/certificates/{cert['serial']}", params={"code": cert["verification_code"]})
    body = answer.json()
    assert body["genuine"] is True and body["kind"] == "payment"
    assert body["totals"] == content["totals"]
    assert body["insurance_types"] == [row["type_name"] for row in content["totals_by_type"]]
    page = gateway.client.get(f"/verify/{cert['serial']}", params={"code": cert["verification_code"]}).text
    assert "社会保险缴费凭证" in page and f"{body['period_from']} 至 {body['period_to']}" in page
    for label, key in (("个人缴费合计（元）", "personal"), ("单位缴费合计（元）", "unit"), ("缴费总额（元）", "total")):
        assert f"<th>{label}</th><td>{content['totals'][key]}</td>" in page
    assert f"<th>缴费月数合计</th><td>{content['totals']['months']}</td>" in page


def test_rights_record_shows_its_totals_and_balance(gateway: Gateway) -> None:
    cert = _issue(gateway, "rights", "k-rvw-rights")
    body = gateway.client.get(
        f"/api/v1/certificates/{cert['serial']}", params={"code": cert["verification_code"]}
    ).json()
    assert body["totals"]["account_balance"] == body["summary"]["pension_account_balance"]
    page = gateway.client.get(f"/verify/{cert['serial']}", params={"code": cert["verification_code"]}).text
    assert f"<th>养老保险个人账户余额（元）</th><td>{body['totals']['account_balance']}</td>" in page


def test_failed_statements_do_not_carry_their_parameters(gateway: Gateway) -> None:
    ssn = gateway.person()["ssn"]
    assert gateway.ctx.engine.hide_parameters is True
    with gateway.ctx.engine.connect() as conn, pytest.raises(DBAPIError) as failure:
        conn.execute(text("SELECT * FROM no_such_table WHERE ssn = :ssn"), {"ssn": ssn})
    assert ssn not in str(failure.value)
    assert "hidden" in str(failure.value)
