"""A stolen terminal token opens no session: the card proof of POST /api/v1/sessions on SQLite and
PostgreSQL (challenge single use and bound to its terminal, key 02 for card+PIN, one answer for
every kind of "not this card"), and the issuer key file."""

from __future__ import annotations

import datetime as dt
import json
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from common.card_auth import KEY_CARD_PRESENCE, KEY_CARDHOLDER, cryptogram, derive_card_key
from common.ssn import make_ssn
from kiosk.errors import CardError
from server.auth import create_terminal, enroll
from server.card_keys import FileKeyStore
from server.card_proof import issue_challenge, spend_challenge
from server.models import ResidentSession
from tests.card_holder import card_proof, challenge, open_session, session_body
from tests.server.conftest import Gateway

URL = "/api/v1/sessions"


@pytest.fixture
def token(gateway: Gateway) -> str:
    """A terminal of its own, so the sessions opened here never end another test's session."""
    with gateway.ctx.sessions.begin() as db:
        return enroll(db, "T-PROOF", create_terminal(db, "T-PROOF", "320583"))


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sessions(gateway: Gateway) -> int:
    with gateway.ctx.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(ResidentSession)) or 0)


def _post(gateway: Gateway, token: str, body: Any) -> Any:
    return gateway.client.post(URL, json=body, headers=_headers(token))


def test_the_real_way_opens_a_card_pin_session(gateway: Gateway, token: str) -> None:
    person = gateway.person()
    r = open_session(gateway.client.post, _headers(token), person)
    assert r.status_code == 201, r.text
    with gateway.ctx.sessions() as db:
        assert db.get(ResidentSession, r.json()["session_id"]).auth_method == "card_pin"
    spec = gateway.client.get("/openapi.json").json()["paths"]
    assert {"201", "401", "429"} <= set(spec["/api/v1/sessions/challenge"]["post"]["responses"])


def test_a_stolen_token_alone_opens_nothing_and_reads_nothing(gateway: Gateway, token: str) -> None:
    before = _sessions(gateway)
    person = gateway.person()
    known = {"ssn": person["ssn"], "card_number": person["card_number"]}
    # What the gateway used to accept: the SSN and the card number, both printed on cards.
    assert _post(gateway, token, known).status_code == 422
    assert _post(gateway, token, {**known, "auth_method": "face"}).status_code == 422
    # A real challenge, answered without the card.
    for guess in ("00" * 16, "ff" * 16):
        r = _post(
            gateway, token, {**known, "challenge": challenge(gateway.client.post, _headers(token)), "cryptogram": guess}
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "card_not_verified"
        assert r.json()["error"]["message_zh"] and r.json()["error"]["message_en"]
    # The card without its PIN (key 01, card presence) does not make a card+PIN session.
    fresh = challenge(gateway.client.post, _headers(token))
    r = _post(gateway, token, session_body(person, fresh, KEY_CARD_PRESENCE))
    assert r.status_code == 403 and r.json()["error"]["code"] == "card_not_verified"
    # Nor does a wrong PIN: the card itself refuses key 02 (6982).
    with pytest.raises(CardError) as refused:
        card_proof(person, bytes(16), KEY_CARDHOLDER, pin="000000" if person["pin"] != "000000" else "111111")
    assert refused.value.sw == 0x6982
    assert _sessions(gateway) == before
    for path in ("insurance", "contributions", "benefits", "cards", "rights"):
        r = gateway.client.get(f"{URL}/{'a' * 32}/{path}", headers=_headers(token))
        assert r.status_code == 404 and r.json()["error"]["code"] == "session_not_found"


def test_one_answer_for_nobody_not_this_card_and_wrong_proof(gateway: Gateway, token: str) -> None:
    person = gateway.person()
    other = gateway.person(skip=1)
    headers = _headers(token)
    answers = []
    cases = [
        {**person, "ssn": make_ssn("320583", dt.date(1990, 1, 1), 999)},  # no such person (the card says so)
        {**person, "card_number": other["card_number"]},  # someone else's card number
        {**person, "card_number": "Z99999999"},  # no such card
        {**other, "ssn": person["ssn"], "name": person["name"]},  # another person's card with this SSN
    ]
    for forged in cases:
        r = _post(gateway, token, session_body(forged, challenge(gateway.client.post, headers)))
        answers.append((r.status_code, r.json()))
    wrong_key = session_body(person, challenge(gateway.client.post, headers))
    wrong_key["cryptogram"] = cryptogram(bytes(16), bytes.fromhex(wrong_key["challenge"])).hex()
    r = _post(gateway, token, wrong_key)
    answers.append((r.status_code, r.json()))
    assert {json.dumps(a, sort_keys=True) for a in answers} == {json.dumps(answers[0], sort_keys=True)}
    assert answers[0][0] == 403 and answers[0][1]["error"]["code"] == "card_not_verified"


def test_lost_card_is_told_only_to_its_proven_holder(gateway: Gateway, token: str) -> None:
    headers = _headers(token)
    for status in ("temp_lost", "lost"):
        lost = gateway.person(status, employment=None)
        proven = open_session(gateway.client.post, headers, lost)
        assert proven.status_code == 409 and proven.json()["error"]["code"] == "card_lost"
        assert "挂失" in proven.json()["error"]["message_zh"]
        unproven = _post(
            gateway, token, {**session_body(lost, challenge(gateway.client.post, headers)), "cryptogram": "00" * 16}
        )
        assert unproven.status_code == 403 and unproven.json()["error"]["code"] == "card_not_verified"


def test_a_challenge_is_single_use_and_bound_to_its_terminal(gateway: Gateway, token: str) -> None:
    person = gateway.person()
    body = session_body(person, challenge(gateway.client.post, _headers(token)))
    # Another terminal cannot spend it (a relayed or stolen challenge) ...
    r = _post(gateway, gateway.other_token, body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "card_challenge_invalid"
    # ... which did not spend it either: its own terminal still can, once.
    assert _post(gateway, token, body).status_code == 201
    replay = _post(gateway, token, body)
    assert replay.status_code == 403 and replay.json()["error"]["code"] == "card_challenge_invalid"
    # Never issued.
    body = session_body(person, "0123456789abcdef" * 2)
    assert _post(gateway, token, body).json()["error"]["code"] == "card_challenge_invalid"


def test_an_expired_challenge_is_refused(gateway: Gateway, token: str) -> None:
    person = gateway.person()
    terminal = "T-PROOF"
    with gateway.ctx.sessions() as db:
        old = issue_challenge(db, terminal, now=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=61))
        fresh = issue_challenge(db, terminal, now=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=50))
    r = _post(gateway, token, session_body(person, old.hex()))
    assert r.status_code == 403 and r.json()["error"]["code"] == "card_challenge_invalid"
    assert _post(gateway, token, session_body(person, fresh.hex())).status_code == 201


def test_simultaneous_spends_of_one_challenge_let_one_through(gateway: Gateway) -> None:
    with gateway.ctx.sessions() as db:
        issued = issue_challenge(db, "T-RACE")
    barrier = threading.Barrier(8)

    def spend(_i: int) -> bool:
        barrier.wait(timeout=30)
        with gateway.ctx.sessions() as db:
            return spend_challenge(db, "T-RACE", issued)

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(spend, range(8))) == [False] * 7 + [True]


def test_the_gateway_derives_the_card_keys_from_the_card_on_record(gateway: Gateway) -> None:
    person = gateway.person()
    keys = gateway.ctx.card_keys.card_keys(person["card_id"])
    assert {f"{k:02X}": v.hex() for k, v in keys.items()} == person["card_keys"]
    ch = bytes(range(16))
    assert gateway.ctx.card_keys.verify(KEY_CARDHOLDER, person["card_id"], ch, cryptogram(keys[KEY_CARDHOLDER], ch))
    assert not gateway.ctx.card_keys.verify(KEY_CARD_PRESENCE, person["card_id"], ch, cryptogram(keys[2], ch))
    assert not gateway.ctx.card_keys.verify(3, person["card_id"], ch, cryptogram(keys[2], ch))
    assert not gateway.ctx.card_keys.verify(KEY_CARDHOLDER, "not hex", ch, bytes(16))


def test_key_file_is_private_random_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "card-issuer-keys.json"
    first = FileKeyStore.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    card_id = "320583D15600000500A1B2C3D4E5F6A7"
    assert FileKeyStore.load_or_create(path).card_keys(card_id) == first.card_keys(card_id)
    other = FileKeyStore.load_or_create(tmp_path / "other.json")
    assert other.card_keys(card_id) != first.card_keys(card_id)
    masters = json.loads(path.read_text(encoding="utf-8"))["keys"]
    assert first.card_keys(card_id)[1] == derive_card_key(bytes.fromhex(masters["01"]), card_id)
    assert masters["01"] not in repr(first)
    (tmp_path / "broken.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError):
        FileKeyStore.load_or_create(tmp_path / "broken.json")
