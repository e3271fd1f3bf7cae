"""POST /api/v1/sessions/esscard and ``python -m server mint-esscard`` on SQLite and PostgreSQL:
a minted code opens one session, then never again; an expired, unknown or malformed code is refused;
a second gateway process on the same database sees the same codes."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from common.esscard import CODE_TTL_SECONDS, new_code
from common.ssn import make_ssn, mask_ssn
from server.app import create_app
from server.auth import create_terminal, enroll, utcnow
from server.esscard import cli
from server.esscard.codes import EsscardCode, mint_code
from server.models import ResidentSession
from tests.server.conftest import Gateway

URL = "/api/v1/sessions/esscard"


@pytest.fixture
def token(gateway: Gateway) -> str:
    """A terminal of its own, so opening sessions here never ends another test's session."""
    with gateway.ctx.sessions.begin() as db:
        return enroll(db, "T-ESSCARD", create_terminal(db, "T-ESSCARD", "320583"))


def _mint(gateway: Gateway, ssn: str, age_seconds: float = 0.0) -> str:
    """A code for ``ssn`` issued ``age_seconds`` ago."""
    with gateway.ctx.sessions.begin() as db:
        return mint_code(db, ssn, now=utcnow() - dt.timedelta(seconds=age_seconds))


def _post(client: TestClient, token: str, body: Any) -> Any:
    return client.post(URL, json=body, headers={"Authorization": f"Bearer {token}"})


def _error(response: Any) -> dict[str, str]:
    return response.json()["error"]


def test_a_minted_code_opens_one_esscard_session(gateway: Gateway, token: str) -> None:
    person = gateway.person()
    code = _mint(gateway, person["ssn"])
    assert code.isascii()
    r = _post(gateway.client, token, {"code": code})
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"session_id", "person"}
    assert body["person"]["name"] == person["name"]
    assert body["person"]["ssn_masked"] == mask_ssn(person["ssn"])
    headers = {"Authorization": f"Bearer {token}"}
    assert gateway.client.get(f"/api/v1/sessions/{body['session_id']}/cards", headers=headers).status_code == 200
    with gateway.ctx.sessions() as db:
        assert db.get(ResidentSession, body["session_id"]).auth_method == "esscard"

    again = _post(gateway.client, token, {"code": code})
    assert again.status_code == 409 and _error(again)["code"] == "esscard_code_used"
    assert "已使用" in _error(again)["message_zh"] and "already been used" in _error(again)["message_en"]


def test_only_the_hash_of_a_code_is_stored(gateway: Gateway) -> None:
    code = _mint(gateway, gateway.person()["ssn"])
    with gateway.ctx.sessions() as db:
        row = db.get(EsscardCode, hashlib.sha256(code.encode()).hexdigest())
        stored = db.execute(select(EsscardCode.code_hash, EsscardCode.ssn, EsscardCode.used_by)).all()
    assert row is not None and row.used_at is None
    assert all(code not in str(value) for line in stored for value in line)


def test_expired_code_is_refused_and_a_fresh_one_is_not(gateway: Gateway, token: str) -> None:
    ssn = gateway.person(skip=1)["ssn"]
    stale = _mint(gateway, ssn, age_seconds=CODE_TTL_SECONDS + 1)
    r = _post(gateway.client, token, {"code": stale})
    assert r.status_code == 410 and _error(r)["code"] == "esscard_code_expired"
    assert "过期" in _error(r)["message_zh"] and "expired" in _error(r)["message_en"]
    nearly = _mint(gateway, ssn, age_seconds=CODE_TTL_SECONDS - 5)
    assert _post(gateway.client, token, {"code": nearly}).status_code == 201
    # An expired code stays expired; a used one says "used" even once it is past its time too.
    assert _error(_post(gateway.client, token, {"code": stale}))["code"] == "esscard_code_expired"


@pytest.mark.parametrize("payload", ["ESSC1-" + "0" * 26, "https://pay.example.test/q/8a7f", "x"])
def test_a_code_never_issued_is_unknown(gateway: Gateway, token: str, payload: str) -> None:
    r = _post(gateway.client, token, {"code": payload})
    assert r.status_code == 404 and _error(r)["code"] == "esscard_code_unknown"
    assert _error(r)["message_zh"] and _error(r)["message_en"]


@pytest.mark.parametrize(
    "body",
    [
        {"code": "电子社保卡"},
        {"code": "ESSC1-ABC DEF"},
        {"code": ""},
        {"code": "A" * 129},
        {"code": 12345},
        {},
        {"code": new_code(), "ssn": "x"},
        ["not", "an", "object"],
    ],
)
def test_a_malformed_body_is_422(gateway: Gateway, token: str, body: Any) -> None:
    r = _post(gateway.client, token, body)
    assert r.status_code == 422 and _error(r)["code"] == "invalid_request", r.text
    assert _error(r)["message_zh"] and _error(r)["message_en"]


def test_no_token_no_session(gateway: Gateway) -> None:
    code = _mint(gateway, gateway.person()["ssn"])
    assert gateway.client.post(URL, json={"code": code}).status_code == 401
    assert gateway.client.post(URL, json={"code": code}, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_code_of_someone_not_on_record_looks_like_an_unknown_code(gateway: Gateway, token: str) -> None:
    """The answer is the same whether the code's person exists or the code was never issued."""
    nobody = make_ssn("110101", dt.date(1950, 1, 1), 991)
    orphan = _post(gateway.client, token, {"code": _mint(gateway, nobody)})
    never = _post(gateway.client, token, {"code": new_code()})
    assert (orphan.status_code, orphan.json()) == (never.status_code, never.json())


def test_openapi_documents_the_endpoint_and_its_refusals(gateway: Gateway) -> None:
    operation = gateway.client.get("/openapi.json").json()["paths"][URL]["post"]
    assert {"201", "401", "404", "409", "410", "422"} <= set(operation["responses"])
    assert "esscard_code_expired" in operation["responses"]["410"]["description"]


@pytest.fixture
def second_worker(gateway: Gateway) -> Iterator[TestClient]:
    """Another gateway process on the same database (a second app, engine and pool)."""
    app = create_app(gateway.ctx.settings)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.ctx.engine.dispose()


def test_two_gateway_processes_share_the_codes(gateway: Gateway, token: str, second_worker: TestClient) -> None:
    code = _mint(gateway, gateway.person()["ssn"])
    assert _post(second_worker, token, {"code": code}).status_code == 201
    r = _post(gateway.client, token, {"code": code})
    assert r.status_code == 409 and _error(r)["code"] == "esscard_code_used"


def test_simultaneous_uses_of_one_code_open_one_session(
    gateway: Gateway, token: str, second_worker: TestClient
) -> None:
    code = _mint(gateway, gateway.person()["ssn"])
    clients = [gateway.client, second_worker]
    barrier = threading.Barrier(6)

    def use(i: int) -> int:
        barrier.wait(timeout=30)
        return _post(clients[i % 2], token, {"code": code}).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(use, range(6)))
    assert statuses == [201, 409, 409, 409, 409, 409]


def test_mint_command_prints_a_working_code_and_refuses_bad_ssns(
    gateway: Gateway, token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = gateway.ctx.settings.database_url
    ssn = gateway.person()["ssn"]
    assert cli.main([ssn, "--database-url", url]) == 0
    code = capsys.readouterr().out.strip()
    assert _post(gateway.client, token, {"code": code}).status_code == 201

    assert cli.main([ssn[:-1] + ("0" if ssn[-1] != "0" else "1"), "--database-url", url]) == 1
    assert "社会保障号码格式不正确" in capsys.readouterr().err
    nobody = make_ssn("110101", dt.date(1950, 1, 1), 992)
    assert cli.main([nobody, "--database-url", url]) == 1
    out = capsys.readouterr()
    assert out.out == "" and "未找到" in out.err and "no insured person" in out.err
