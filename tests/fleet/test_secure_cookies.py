"""Console cookies are Secure by default; RENSHE_INSECURE_COOKIES=1 (or the setting) turns the flag
off for a console served over plain http on loopback (development, the tests, the demo)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import requests

from server.app import create_app
from server.embedded import start_embedded_server
from server.fleet.staff import create_staff
from server.settings import ServerSettings
from tests.fleet.conftest import PASSWORD, csrf_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _login_cookies(settings: ServerSettings) -> list[str]:
    app = create_app(settings)
    with app.state.ctx.sessions.begin() as db:
        create_staff(db, "admin", "admin", PASSWORD)
    try:
        with TestClient(app, base_url="https://console.example") as client:
            page = client.get("/console/login")
            data = {"username": "admin", "password": PASSWORD, "csrf": csrf_of(page.text), "next": "/console/"}
            answer = client.post("/console/login", data=data, follow_redirects=False)
            assert answer.status_code == 303
            return [page.headers["set-cookie"], answer.headers["set-cookie"]]
    finally:
        app.state.ctx.engine.dispose()


def test_cookies_are_secure_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RENSHE_INSECURE_COOKIES", raising=False)
    settings = ServerSettings.from_env(data_dir=tmp_path)
    assert settings.secure_cookies is True
    for cookie in _login_cookies(settings):
        assert "; secure" in cookie.lower(), cookie


def test_insecure_cookies_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENSHE_INSECURE_COOKIES", "1")
    settings = ServerSettings.from_env(data_dir=tmp_path)
    assert settings.secure_cookies is False
    for cookie in _login_cookies(settings):
        assert "secure" not in cookie.lower(), cookie


def test_the_demo_console_works_over_plain_http(tmp_path: Path) -> None:
    """requests, like a browser, sends no Secure cookie over http: the demo's login must still hold."""
    server = start_embedded_server(tmp_path, persons=10, seed=3)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        server.create_staff("demo-admin", "admin", PASSWORD)
        with requests.Session() as browser:
            page = browser.get(f"{server.url}/console/login", timeout=10)
            data = {"username": "demo-admin", "password": PASSWORD, "csrf": csrf_of(page.text), "next": "/console/"}
            browser.post(f"{server.url}/console/login", data=data, timeout=10, allow_redirects=False)
            assert browser.get(f"{server.url}/console/", timeout=10, allow_redirects=False).status_code == 200
    finally:
        server.stop()
