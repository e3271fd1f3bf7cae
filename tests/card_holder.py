"""A demo resident's card in a test: the virtual 社保卡 built from a seeded person (``seed --json`` /
``demo_people()``: CardData fields, ``pin``, ``card_keys``), answering the real APDUs through the
in-process reader and the same protocol code as the kiosk (drivers.card.sscard).

- ``card_proof(person, challenge, key_id)``: the card's INTERNAL AUTHENTICATE answer (after the
  right PIN for key 02, as a resident would type it);
- ``session_body`` / ``open_session``: a ``POST /api/v1/sessions`` the real way, for tests that
  speak HTTP themselves (FastAPI's TestClient or requests);
- ``sign_in(backend, person)``: the kiosk's own path (kiosk.card_sign_in) through BackendClient.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from common.card_auth import KEY_CARDHOLDER, card_keys_from_json
from drivers.card.simulated_reader import SimulatedCardReader
from drivers.card.simulator import VirtualSocialSecurityCard
from drivers.card.sscard import internal_authenticate, read_card, verify_pin
from drivers.factory import CardPortAdapter
from kiosk.card_sign_in import sign_in_with_pin
from kiosk.models import card_data_from_json
from kiosk.ports import Backend

logger = logging.getLogger(__name__)

Post = Callable[..., Any]


def virtual_card(person: dict[str, Any], *, t0: bool = False) -> VirtualSocialSecurityCard:
    """The person's card as the issuer personalised it: data, PIN and its own keys."""
    return VirtualSocialSecurityCard.from_card_data(
        card_data_from_json(person), person["pin"], t0=t0, keys=card_keys_from_json(person.get("card_keys"))
    )


def card_reader(person: dict[str, Any]) -> SimulatedCardReader:
    reader = SimulatedCardReader()
    reader.insert(virtual_card(person))
    return reader


def card_proof(person: dict[str, Any], challenge: bytes, key_id: int = KEY_CARDHOLDER, pin: str | None = None) -> bytes:
    """The card's answer to ``challenge`` under ``key_id``; for key 02 the PIN (default: the right
    one) is verified on the card first. Raises kiosk.errors.CardError as the card would refuse."""
    with card_reader(person).connect() as conn:
        read_card(conn)
        if key_id == KEY_CARDHOLDER:
            verify_pin(conn, pin or person["pin"], select=False)
        return internal_authenticate(conn, key_id, challenge)


def session_body(person: dict[str, Any], challenge_hex: str, key_id: int = KEY_CARDHOLDER) -> dict[str, str]:
    """The JSON of ``POST /api/v1/sessions`` for ``person`` answering ``challenge_hex`` with ``key_id``."""
    answer = card_proof(person, bytes.fromhex(challenge_hex), key_id)
    return {
        "ssn": person["ssn"],
        "card_number": person["card_number"],
        "challenge": challenge_hex,
        "cryptogram": answer.hex(),
    }


def challenge(post: Post, headers: dict[str, str], base: str = "") -> str:
    """A fresh challenge (hex) from ``POST {base}/api/v1/sessions/challenge``."""
    response = post(f"{base}/api/v1/sessions/challenge", headers=headers)
    if response.status_code != 201:
        raise AssertionError(f"challenge refused: {response.status_code} {response.text}")
    return str(response.json()["challenge"])


def open_session(post: Post, headers: dict[str, str], person: dict[str, Any], base: str = "") -> Any:
    """``POST /api/v1/sessions`` the real way (challenge, then the card's key-02 proof); the response."""
    body = session_body(person, challenge(post, headers, base))
    return post(f"{base}/api/v1/sessions", json=body, headers=headers)


def sign_in(backend: Backend, person: dict[str, Any]) -> dict[str, Any]:
    """The kiosk's path: read the card, VERIFY the PIN, prove it with key 02, open the session."""
    session = CardPortAdapter(card_reader(person)).open_card()
    try:
        card = session.read()
        if not session.verify_pin(person["pin"]).ok:
            raise AssertionError("the demo PIN was refused")
        return sign_in_with_pin(backend, session, card)
    finally:
        session.close()
