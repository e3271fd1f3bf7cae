"""转出参保凭证 (certificate kind transfer_out) on both databases: issued from the records of the
参保地, verifiable, idempotent like every certificate."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from server.models import Contribution, Person
from tests.server.conftest import Gateway


def test_transfer_out_certificate(gateway: Gateway) -> None:
    person = gateway.person(skip=2)
    sid = gateway.start(person)
    body = {"kind": "transfer_out", "idempotency_key": f"transfer-out-{gateway.kind}"}
    url = f"/api/v1/sessions/{sid}/certificates"
    first = gateway.client.post(url, json=body, headers=gateway.headers())
    assert first.status_code == 200, first.text
    cert = first.json()
    assert cert["serial"].startswith("ZC") and cert["content"]["title"] == "社会保险参保缴费凭证（转出）"
    content = cert["content"]
    with gateway.ctx.sessions() as db:
        pid, region = db.execute(select(Person.id, Person.region).where(Person.ssn == person["ssn"])).one()
        months = db.scalar(
            select(func.count()).where(
                Contribution.person_id == pid,
                Contribution.type_code == "110",
                Contribution.region == region,
                Contribution.paid.is_(True),
            )
        )
    assert content["transfer_region"] == region and content["summary"]["months_paid_in_region"] == months
    assert {t["type_code"] for t in content["totals_by_type"]} <= {"110", "210", "310"}
    assert Decimal(content["totals"]["personal"]) > 0 and content["units"]
    assert "凭此凭证办理社会保险关系转移接续" in content["statement"]
    again = gateway.client.post(url, json=body, headers=gateway.headers())
    assert again.json()["serial"] == cert["serial"]
    checked = gateway.client.get(f"/api/v1/certificates/{cert['serial']}?code={cert['verification_code']}").json()
    assert checked["genuine"] and checked["title"] == "社会保险参保缴费凭证（转出）"
    assert checked["summary"]["months_paid_in_region"] == months
