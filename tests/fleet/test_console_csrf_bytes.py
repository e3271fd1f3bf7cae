"""Console CSRF comparisons take any text: a non-ASCII token is refused (403), never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fleet.conftest import Fleet, csrf_of


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("token", ["é", "令牌", "x\u00e9y"])
def test_non_ascii_login_csrf_is_a_403(fleet: Fleet, token: str) -> None:
    with fleet.client() as client:
        csrf_of(client.get("/console/login").text)  # sets the login CSRF cookie
        answer = client.post(
            "/console/login", data={"username": "admin", "password": "x", "csrf": token}, follow_redirects=False
        )
        assert answer.status_code == 403


def test_non_ascii_form_csrf_is_a_403(fleet: Fleet, staff_client: Any) -> None:
    client, _csrf = staff_client("admin")
    answer = client.post("/console/logout", data={"csrf": "令牌"}, follow_redirects=False)
    assert answer.status_code == 403
