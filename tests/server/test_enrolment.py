"""POST /api/v1/terminals/enroll on both databases: the code names its terminal.

A terminal enrols with the code alone; a ``terminal_id`` sent with it only double-checks it. A
wrong code, a used code and another terminal's code each get their own refusal and message.
"""

from __future__ import annotations

from typing import Any

from server.auth import create_terminal
from tests.server.conftest import Gateway

ENROLL = "/api/v1/terminals/enroll"


def _register(gw: Gateway, terminal_id: str) -> str:
    with gw.ctx.sessions.begin() as db:
        return create_terminal(db, terminal_id, "320583")


def _error(resp: Any, status: int, code: str) -> dict[str, str]:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["code"] == code, err
    assert err["message_zh"] and err["message_en"]
    return err


def test_the_code_alone_enrols_its_terminal(gateway: Gateway) -> None:
    terminal_id = f"KS-ALONE-{gateway.kind}"
    code = _register(gateway, terminal_id)
    answer = gateway.client.post(ENROLL, json={"code": code})
    assert answer.status_code == 200, answer.text
    assert answer.json()["terminal_id"] == terminal_id
    token = answer.json()["token"]
    # The token is this terminal's: authenticated (404: no such session, not 401).
    probe = gateway.client.get("/api/v1/sessions/" + "0" * 32 + "/insurance", headers=gateway.headers(token))
    assert probe.status_code == 404


def test_codes_are_typed_loosely(gateway: Gateway) -> None:
    """Staff read the code off a screen: case and surrounding blanks do not matter."""
    terminal_id = f"KS-CASE-{gateway.kind}"
    code = _register(gateway, terminal_id)
    answer = gateway.client.post(ENROLL, json={"code": f"  {code.lower()} "})
    assert answer.status_code == 200, answer.text
    assert answer.json()["terminal_id"] == terminal_id


def test_a_matching_terminal_id_is_accepted(gateway: Gateway) -> None:
    terminal_id = f"KS-MATCH-{gateway.kind}"
    code = _register(gateway, terminal_id)
    answer = gateway.client.post(ENROLL, json={"terminal_id": terminal_id, "code": code})
    assert answer.status_code == 200, answer.text
    assert answer.json()["terminal_id"] == terminal_id


def test_another_terminals_code_is_named_and_not_spent(gateway: Gateway) -> None:
    issued_for, claimed = f"KS-01-{gateway.kind}", f"KS-02-{gateway.kind}"
    code = _register(gateway, issued_for)
    _register(gateway, claimed)
    err = _error(
        gateway.client.post(ENROLL, json={"terminal_id": claimed, "code": code}), 409, "enrolment_terminal_mismatch"
    )
    assert err["message_en"] == f"This code was issued for {issued_for}, not {claimed}"
    assert issued_for in err["message_zh"] and claimed in err["message_zh"]
    # The mismatch spent nothing: the right terminal still enrols with the same code.
    answer = gateway.client.post(ENROLL, json={"code": code})
    assert answer.status_code == 200 and answer.json()["terminal_id"] == issued_for


def test_wrong_and_used_codes_get_their_own_messages(gateway: Gateway) -> None:
    terminal_id = f"KS-USED-{gateway.kind}"
    code = _register(gateway, terminal_id)
    wrong = _error(gateway.client.post(ENROLL, json={"code": "WRONGCODE9"}), 403, "enrolment_refused")
    assert gateway.client.post(ENROLL, json={"code": code}).status_code == 200
    used = _error(gateway.client.post(ENROLL, json={"code": code}), 409, "enrolment_code_used")
    assert "already used" in used["message_en"] and "已使用" in used["message_zh"]
    assert "already used" not in wrong["message_en"] and "已使用" not in wrong["message_zh"]
    assert wrong["message_en"] != used["message_en"] and wrong["message_zh"] != used["message_zh"]
    # Spent is told by the conditional UPDATE itself (token already set), whatever id comes with it.
    again = gateway.client.post(ENROLL, json={"terminal_id": terminal_id, "code": code})
    _error(again, 409, "enrolment_code_used")


def test_a_replaced_code_is_a_wrong_code(gateway: Gateway) -> None:
    """Re-registering issues a new code: the old one no longer names the terminal."""
    terminal_id = f"KS-REREG-{gateway.kind}"
    old = _register(gateway, terminal_id)
    new = _register(gateway, terminal_id)
    _error(gateway.client.post(ENROLL, json={"code": old}), 403, "enrolment_refused")
    assert gateway.client.post(ENROLL, json={"code": new}).status_code == 200
