"""The terminal API on both databases: every endpoint and every refusal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from common.ssn import mask_ssn
from server import certificates as certs
from server.auth import create_terminal
from server.models import Certificate, ResidentSession
from tests.card_holder import open_session
from tests.server.conftest import Gateway


def _count(gw: Gateway, model: Any) -> int:
    with gw.ctx.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _error(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert set(err) == {"code", "message_zh", "message_en"}
    assert err["message_zh"] and err["message_en"]
    if code:
        assert err["code"] == code, err
    return err


def test_healthz_and_openapi(gateway: Gateway) -> None:
    r = gateway.client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert r.json()["database"] == {"sqlite": "sqlite", "postgres": "postgresql"}[gateway.kind]
    assert r.headers["x-request-id"]
    spec = gateway.client.get("/openapi.json").json()
    post = spec["paths"]["/api/v1/sessions"]["post"]
    assert {"400", "401", "403", "404", "409", "413", "422", "429"} <= set(post["responses"])
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_request_id_is_echoed(gateway: Gateway) -> None:
    r = gateway.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"


def test_enrolment_exchange_is_one_time(gateway: Gateway) -> None:
    with gateway.ctx.sessions.begin() as db:
        code = create_terminal(db, f"ENR-{gateway.kind}", "320583")
    bad = gateway.client.post(
        "/api/v1/terminals/enroll", json={"terminal_id": f"ENR-{gateway.kind}", "code": "WRONGCODE"}
    )
    _error(bad, 403, "enrolment_refused")
    r = gateway.client.post("/api/v1/terminals/enroll", json={"terminal_id": f"ENR-{gateway.kind}", "code": code})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert (
        gateway.client.get("/api/v1/sessions/" + "0" * 32 + "/insurance", headers=gateway.headers(token)).status_code
        == 404
    )  # authenticated, no session
    again = gateway.client.post("/api/v1/terminals/enroll", json={"terminal_id": f"ENR-{gateway.kind}", "code": code})
    _error(again, 409, "enrolment_code_used")  # told apart from a wrong code (tests/server/test_enrolment.py)


def test_missing_and_bad_tokens(gateway: Gateway) -> None:
    p = gateway.person()
    body = {"ssn": p["ssn"], "card_number": p["card_number"], "challenge": "ab" * 16, "cryptogram": "cd" * 16}
    _error(gateway.client.post("/api/v1/sessions", json=body), 401, "unauthenticated")
    _error(
        gateway.client.post("/api/v1/sessions", json=body, headers={"Authorization": "Bearer nope"}),
        401,
        "invalid_token",
    )
    _error(gateway.client.post("/api/v1/sessions", json=body, headers={"Authorization": "Basic abc"}), 401)


def test_session_start_returns_masked_person(gateway: Gateway) -> None:
    p = gateway.person()
    r = open_session(gateway.client.post, gateway.headers(), p)
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["session_id"]) == 32
    assert body["person"]["name"] == p["name"]
    assert body["person"]["ssn_masked"] == mask_ssn(p["ssn"])
    assert p["ssn"] not in r.text


def test_session_refusals_change_nothing(gateway: Gateway) -> None:
    # The refusals of the card proof itself are in tests/server/test_card_proof.py.
    before = _count(gateway, ResidentSession)
    p = gateway.person()
    post = lambda body, **kw: gateway.client.post("/api/v1/sessions", json=body, headers=gateway.headers(), **kw)  # noqa: E731
    proof = {"challenge": "ab" * 16, "cryptogram": "cd" * 16}
    _error(
        post({"ssn": p["ssn"][:17] + ("0" if p["ssn"][17] != "0" else "1"), "card_number": p["card_number"], **proof}),
        422,
        "invalid_request",
    )
    _error(post({"ssn": 330106198902160545, "card_number": p["card_number"], **proof}), 422, "invalid_request")
    _error(post({"ssn": p["ssn"], "card_number": p["card_number"]}), 422, "invalid_request")  # no proof
    _error(post({"ssn": p["ssn"], "card_number": p["card_number"], **proof, "challenge": "zz" * 16}), 422)
    _error(post({"ssn": p["ssn"], "card_number": p["card_number"], **proof, "extra": 1}), 422)
    _error(post([1, 2]), 422)
    _error(
        gateway.client.post(
            "/api/v1/sessions", content=b'{"ssn": ', headers={**gateway.headers(), "content-type": "application/json"}
        ),
        400,
        "malformed_json",
    )
    _error(
        gateway.client.post(
            "/api/v1/sessions", content=b"x" * 70_000, headers={**gateway.headers(), "content-type": "application/json"}
        ),
        413,
        "body_too_large",
    )
    assert _count(gateway, ResidentSession) == before


def test_replaced_card_refused_and_card_progress(gateway: Gateway) -> None:
    # Persons whose lost card was replaced: the new card is still in production.
    with gateway.ctx.sessions() as db:
        from server.models import Card, Person

        row = db.execute(
            select(Person.ssn, Card.card_number, Card.card_id)
            .join(Card, Card.person_id == Person.id)
            .where(Card.is_current.is_(False))
        ).first()
    assert row is not None
    current = next(p for p in gateway.people if p["ssn"] == row[0])
    # The old card itself, with its own keys and the right PIN: proven, so its holder is told why.
    old_card = {
        **current,
        "card_number": row[1],
        "card_id": row[2],
        "card_keys": {f"{k:02X}": v.hex() for k, v in gateway.ctx.card_keys.card_keys(row[2]).items()},
    }
    err = _error(open_session(gateway.client.post, gateway.headers(), old_card), 409, "card_mismatch")
    assert "社保卡" in err["message_zh"]
    sid = gateway.start(current)
    cards = gateway.client.get(f"/api/v1/sessions/{sid}/cards", headers=gateway.headers()).json()["cards"]
    assert cards[0]["is_current"] and cards[0]["production_stage"] != "issued"
    assert {c["status_name"] for c in cards} == {"正常", "正式挂失"}
    assert all(current["card_number"] not in str(c) for c in cards)


def test_insurance(gateway: Gateway) -> None:
    sid = gateway.start()
    r = gateway.client.get(f"/api/v1/sessions/{sid}/insurance", headers=gateway.headers())
    assert r.status_code == 200, r.text
    body = r.json()
    assert {e["type_code"] for e in body["enrolments"]} == {"110", "210", "310", "410", "510"}
    assert all(e["type_name"] and e["status"] in ("参保缴费", "暂停缴费", "终止参保") for e in body["enrolments"])
    assert body["summary"]["months_paid_total"] >= 100
    assert body["summary"]["first_paid_period"] <= certs.current_period()


def test_contributions_paging_and_totals(gateway: Gateway) -> None:
    sid = gateway.start()
    url = f"/api/v1/sessions/{sid}/contributions"
    full = gateway.client.get(
        url, params={"from": "2020-01", "to": "2022-12", "page_size": 500}, headers=gateway.headers()
    ).json()
    assert full["total_items"] == len(full["items"]) > 0
    assert all("2020-01" <= i["period"] <= "2022-12" for i in full["items"])
    pages: list[dict[str, Any]] = []
    for page in (1, 2, 3, 4, 5, 6):
        r = gateway.client.get(
            url, params={"from": "2020-01", "to": "2022-12", "page": page, "page_size": 37}, headers=gateway.headers()
        )
        assert r.status_code == 200
        assert r.json()["totals"] == full["totals"]
        pages.extend(r.json()["items"])
    assert pages == full["items"]
    personal = sum(Decimal(i["personal"]) for i in full["items"])
    assert Decimal(full["totals"]["personal"]) == personal
    pension = gateway.client.get(
        url, params={"type": "110", "from": "2021-01", "to": "2021-12"}, headers=gateway.headers()
    ).json()
    assert {i["type_code"] for i in pension["items"]} == {"110"}
    for period in ("2021-1", "2021-13", "21-01", "2021/01", "abcd-ef"):
        _error(gateway.client.get(url, params={"from": period}, headers=gateway.headers()), 422, "invalid_request")
    future = certs.shift_period(certs.current_period(), 2)
    _error(gateway.client.get(url, params={"to": future}, headers=gateway.headers()), 422, "period_in_future")
    _error(
        gateway.client.get(url, params={"from": "2022-01", "to": "2021-01"}, headers=gateway.headers()),
        422,
        "period_range_invalid",
    )
    _error(gateway.client.get(url, params={"page": 0}, headers=gateway.headers()), 422)
    _error(gateway.client.get(url, params={"page_size": "many"}, headers=gateway.headers()), 422)


def test_benefits_for_retiree_and_unemployed(gateway: Gateway) -> None:
    for status, kind in (("retired", "pension"), ("unemployed", "unemployment")):
        sid = gateway.start(gateway.person(employment=status))
        r = gateway.client.get(f"/api/v1/sessions/{sid}/benefits", params={"kind": kind}, headers=gateway.headers())
        assert r.status_code == 200
        items = r.json()["items"]
        assert items and {i["kind"] for i in items} == {kind}
        assert Decimal(r.json()["total_amount"]) == sum(Decimal(i["amount"]) for i in items)
    _error(
        gateway.client.get(f"/api/v1/sessions/{sid}/benefits", params={"kind": "bonus"}, headers=gateway.headers()), 422
    )


def test_session_isolation_and_end(gateway: Gateway) -> None:
    sid = gateway.start()
    other = gateway.headers(gateway.other_token)
    _error(gateway.client.get(f"/api/v1/sessions/{sid}/insurance", headers=other), 404, "session_not_found")
    _error(gateway.client.delete(f"/api/v1/sessions/{sid}", headers=other), 404)
    # A new session on the same terminal ends the previous one.
    newer = gateway.start(gateway.person(skip=1))
    _error(gateway.client.get(f"/api/v1/sessions/{sid}/insurance", headers=gateway.headers()), 404)
    assert gateway.client.delete(f"/api/v1/sessions/{newer}", headers=gateway.headers()).status_code == 204
    assert gateway.client.delete(f"/api/v1/sessions/{newer}", headers=gateway.headers()).status_code == 204
    _error(gateway.client.get(f"/api/v1/sessions/{newer}/insurance", headers=gateway.headers()), 404)
    _error(gateway.client.get("/api/v1/sessions/not-a-session/insurance", headers=gateway.headers()), 422)


def test_certificates_issue_idempotent_and_reprint(gateway: Gateway) -> None:
    sid = gateway.start()
    url = f"/api/v1/sessions/{sid}/certificates"
    key = f"idem-{gateway.kind}-0001"
    first = gateway.client.post(url, json={"kind": "payment", "idempotency_key": key}, headers=gateway.headers())
    assert first.status_code == 200, first.text
    cert = first.json()
    before = _count(gateway, Certificate)
    again = gateway.client.post(url, json={"kind": "payment", "idempotency_key": key}, headers=gateway.headers())
    assert again.json()["serial"] == cert["serial"] and _count(gateway, Certificate) == before
    assert cert["reprint"] is False and len(cert["verification_code"]) == 8
    assert cert["verify_url"] == (
        f"https://verify.example.test/verify/{cert['serial']}?code={cert['verification_code']}"
    )
    assert cert["verify_url"].isascii()
    assert (
        certs.content_hash(cert["serial"], cert["kind"], cert["issued_at"], cert["terminal_id"], cert["content"])
        == cert["content_hash"]
    )
    content = cert["content"]
    # The last 12 complete months by default; its rows are exactly the months 缴费明细 shows for that
    # range (a generated resident may have a month without contributions, depending on today's date).
    period = content["period"]
    assert certs.months_between(period["from"], period["to"]) == 12
    listed = gateway.client.get(
        f"/api/v1/sessions/{sid}/contributions",
        params={"from": period["from"], "to": period["to"], "page_size": 100},
        headers=gateway.headers(),
    ).json()
    assert content["title"] == "社会保险缴费凭证"
    assert [row["period"] for row in content["rows"]] == sorted({item["period"] for item in listed["items"]})
    assert len(content["rows"]) >= 10
    assert Decimal(content["totals"]["total"]) == sum(
        Decimal(r["personal"]) + Decimal(r["unit"]) for r in content["rows"]
    )
    _error(
        gateway.client.post(url, json={"kind": "insured", "idempotency_key": key}, headers=gateway.headers()),
        409,
        "idempotency_conflict",
    )
    r1 = gateway.client.post(f"{url}/{cert['serial']}/reprint", headers=gateway.headers()).json()
    r2 = gateway.client.post(f"{url}/{cert['serial']}/reprint", headers=gateway.headers()).json()
    assert r1["reprint"] and r2["reprint_count"] == 2 and r2["content_hash"] == cert["content_hash"]
    assert _count(gateway, Certificate) == before
    _error(
        gateway.client.post(f"{url}/JF209901010000000000/reprint", headers=gateway.headers()),
        404,
        "certificate_not_found",
    )


def test_certificate_kinds_and_period_refusals(gateway: Gateway) -> None:
    sid = gateway.start(gateway.person(skip=2))
    url = f"/api/v1/sessions/{sid}/certificates"
    insured = gateway.client.post(
        url, json={"kind": "insured", "idempotency_key": f"k-ins-{gateway.kind}"}, headers=gateway.headers()
    ).json()
    assert insured["content"]["enrolments"] and "兹证明" in insured["content"]["statement"]
    rights = gateway.client.post(
        url,
        json={"kind": "rights", "from": "2019-01", "to": "2021-12", "idempotency_key": f"k-rights-{gateway.kind}"},
        headers=gateway.headers(),
    ).json()
    years = rights["content"]["years"]
    assert [y["year"] for y in years] == sorted(y["year"] for y in years)
    balances = [Decimal(y["pension_account_balance"]) for y in years]
    assert balances == sorted(balances)
    before = _count(gateway, Certificate)
    future = certs.shift_period(certs.current_period(), 1)
    bad_bodies: list[Any] = [
        {"kind": "payment", "to": future, "idempotency_key": "k-future-1"},
        {"kind": "payment", "from": "2022-05", "to": "2021-01", "idempotency_key": "k-reverse-1"},
        {"kind": "payment", "from": "2001-01", "to": "2020-01", "idempotency_key": "k-toolong-1"},
        {"kind": "payment", "from": "2021-13", "idempotency_key": "k-baddate-1"},
        {"kind": "diploma", "idempotency_key": "k-kind-0001"},
        {"kind": "payment", "idempotency_key": "short"},
        {"kind": "payment", "idempotency_key": 12345678},
        {"kind": "payment"},
    ]
    codes = [gateway.client.post(url, json=b, headers=gateway.headers()).json()["error"]["code"] for b in bad_bodies]
    assert codes == ["period_in_future", "period_range_invalid", "period_range_too_long"] + ["invalid_request"] * 5
    assert _count(gateway, Certificate) == before


def test_public_verification(gateway: Gateway) -> None:
    p = gateway.person(skip=3)
    sid = gateway.start(p)
    cert = gateway.client.post(
        f"/api/v1/sessions/{sid}/certificates",
        json={"kind": "insured", "idempotency_key": f"k-verify-{gateway.kind}"},
        headers=gateway.headers(),
    ).json()
    serial, code = cert["serial"], cert["verification_code"]
    ok = gateway.client.get(f"/api/v1/certificates/{serial}", params={"code": code.lower()})
    assert ok.status_code == 200 and ok.json()["genuine"] is True
    assert ok.json()["name_masked"].startswith(p["name"][0]) and p["name"] not in ok.text
    assert p["ssn"] not in ok.text
    assert gateway.client.get(f"/api/v1/certificates/{serial}", params={"code": "AAAAAAAA"}).json() == {
        **{k: None for k in ok.json()},
        "genuine": False,
        "serial": serial,
    }
    page = gateway.client.get(f"/verify/{serial}", params={"code": code})
    assert page.status_code == 200 and "真实有效" in page.text and "社会保险参保证明" in page.text
    assert p["name"] not in page.text and p["ssn"] not in page.text
    forged = gateway.client.get(f"/verify/{serial}", params={"code": "WRONG123"})
    assert forged.status_code == 404 and "未能验证" in forged.text
    assert gateway.client.get("/verify/<script>", params={"code": "x"}).text.count("<script>") == 0


def test_unknown_routes_and_methods_use_error_body(gateway: Gateway) -> None:
    _error(gateway.client.get("/api/v1/nothing"), 404, "not_found")
    _error(gateway.client.put("/api/v1/sessions", headers=gateway.headers()), 405, "method_not_allowed")


def test_logs_are_json_with_request_ids_and_masked(gateway: Gateway) -> None:
    import io
    import json
    import logging

    from server.logs import JsonFormatter, RequestIdFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        p = gateway.person(skip=1)
        sid = gateway.start(p)
        gateway.client.post(
            f"/api/v1/sessions/{sid}/certificates",
            headers={**gateway.headers(), "X-Request-ID": "req-log-test"},
            json={"kind": "insured", "idempotency_key": "log-key-01"},
        )
        gateway.client.get("/api/v1/certificates/CB202601010000000000", params={"code": "SECRETCODE"})
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    # Only the server's own lines: the test client (httpx) logs full URLs itself.
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    lines = [line for line in lines if line["logger"].startswith("server")]
    assert any(line["msg"] == "certificate issued" and line["request_id"] == "req-log-test" for line in lines)
    assert any(line["msg"] == "request" and line["status"] == 201 for line in lines)
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert p["ssn"] not in text and p["name"] not in text and "SECRETCODE" not in text
    assert mask_ssn(p["ssn"]) in text


def test_idle_session_expires(gateway: Gateway) -> None:
    sid = gateway.start(gateway.person(skip=2))
    settings = gateway.ctx.settings
    saved = settings.session_idle_seconds
    settings.session_idle_seconds = -1  # any session is idle for longer than that
    try:
        _error(
            gateway.client.get(f"/api/v1/sessions/{sid}/insurance", headers=gateway.headers()), 404, "session_not_found"
        )
    finally:
        settings.session_idle_seconds = saved


def test_rights_by_year(gateway: Gateway) -> None:
    sid = gateway.start(gateway.person(skip=3))
    url = f"/api/v1/sessions/{sid}/rights"
    r = gateway.client.get(url, params={"from_year": 2018, "to_year": 2021}, headers=gateway.headers())
    assert r.status_code == 200, r.text
    years = r.json()["years"]
    assert [y["year"] for y in years] == sorted(y["year"] for y in years)
    assert all(2018 <= y["year"] <= 2021 and 0 < y["months_paid"] <= 12 for y in years)
    this_year = int(certs.current_period()[:4])
    _error(
        gateway.client.get(url, params={"to_year": this_year + 1}, headers=gateway.headers()), 422, "period_in_future"
    )
    _error(
        gateway.client.get(url, params={"from_year": 2021, "to_year": 2019}, headers=gateway.headers()),
        422,
        "period_range_invalid",
    )
    _error(gateway.client.get(url, params={"from_year": "last"}, headers=gateway.headers()), 422)


def test_serving_connections_are_bounded_on_postgresql(gateway: Gateway) -> None:
    """The hot queries run on the event loop: PostgreSQL caps each statement and never JIT-compiles."""
    if gateway.kind != "postgres":
        with gateway.ctx.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        return
    with gateway.ctx.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "5s"
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
