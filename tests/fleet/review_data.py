"""Applications waiting for review in a fleet test's gateway: the demo people seeded into it, a
terminal enrolled, and submissions made through the terminal API the real way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from server.models import Person
from server.seeding import demo_card_profiles, seed_database
from tests.card_holder import open_session
from tests.fleet.conftest import REGION_A, REGION_B, Fleet


@dataclass
class Submitted:
    id: int
    number: str
    kind: str
    region: str
    name: str
    ssn: str
    session_id: str


def _submit(client: TestClient, token: str, person: dict[str, Any], kind: str, form: dict[str, Any], key: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    answer = open_session(client.post, headers, person)
    assert answer.status_code == 201, answer.text
    sid = answer.json()["session_id"]
    body = {"kind": kind, "form": form, "idempotency_key": key}
    made = client.post(f"/api/v1/sessions/{sid}/applications", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return sid, made.json()


def seed_applications(fleet: Fleet, client: TestClient) -> dict[str, Submitted]:
    """A 补卡/换卡 and a 异地就医备案 in region A, a 异地就医备案 in region B."""
    with fleet.ctx.sessions.begin() as db:
        seed_database(db, 20, 11)
    token = fleet.register("T-REVIEW", REGION_A)
    assert token is not None
    with fleet.ctx.sessions() as db:
        people = demo_card_profiles(db, fleet.ctx.card_keys)
        regions = dict(db.execute(select(Person.ssn, Person.region)).all())
        employed = set(db.scalars(select(Person.ssn).where(Person.employment_status == "employed")))
    usable = [p for p in people if p["card_status"] == "normal" and p["ssn"] in employed]
    in_a = [p for p in usable if regions[p["ssn"]] == REGION_A]
    in_b = [p for p in usable if regions[p["ssn"]] == REGION_B]
    start = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    made: dict[str, Submitted] = {}
    for name, person, kind, form in (
        ("card", in_a[0], "card_replacement", {"reason": "damaged", "photo": "20261201000001"}),
        ("filing_a", in_a[1], "medical_filing", {"target_region": "110105", "reason": "异地安置", "start_date": start}),
        ("filing_b", in_b[0], "medical_filing", {"target_region": "110105", "reason": "异地安置", "start_date": start}),
    ):
        sid, receipt = _submit(client, token, person, kind, form, f"review-{name}-0001")
        number = receipt["number"]
        made[name] = Submitted(
            int(number[-8:]), number, kind, regions[person["ssn"]], person["name"], person["ssn"], sid
        )
    made["token"] = token  # type: ignore[assignment]
    return made
