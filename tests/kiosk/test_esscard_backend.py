"""BackendClient.start_esscard_session against the embedded gateway: a minted code opens a session
once; a refusal carries the gateway's code and bilingual message; the call is never retried."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from common.esscard import REFUSALS, new_code
from common.ssn import make_ssn
from kiosk.backend import BackendClient
from kiosk.errors import BackendRejected, BackendUnavailable
from server.embedded import EmbeddedServer, start_embedded_server


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = start_embedded_server(tmp_path_factory.mktemp("esscard-backend"), persons=6, seed=23)
    yield server
    server.stop()


def test_a_minted_code_opens_a_session_once(gateway: EmbeddedServer) -> None:
    person = gateway.demo_people()[1]
    code = gateway.mint_esscard(person["ssn"])
    with BackendClient(gateway.url, gateway.terminal_token, timeout=5.0) as client:
        answer = client.start_esscard_session(code)
        assert answer["person"]["name"] == person["name"] and len(answer["session_id"]) == 32
        assert client.cards(answer["session_id"])["cards"]
        client.end_session(answer["session_id"])
        with pytest.raises(BackendRejected) as used:
            client.start_esscard_session(code)
        with pytest.raises(BackendRejected) as unknown:
            client.start_esscard_session(new_code())
    assert (used.value.status_code, used.value.code) == (409, "esscard_code_used")
    assert used.value.message_zh and used.value.message_en
    assert (unknown.value.status_code, unknown.value.code) == (404, "esscard_code_unknown")
    assert {used.value.code, unknown.value.code} <= REFUSALS


def test_minting_for_nobody_is_refused(gateway: EmbeddedServer) -> None:
    with pytest.raises(ValueError, match="no seeded person"):
        gateway.mint_esscard(make_ssn("110101", dt.date(1950, 1, 1), 991))


class _Failing(http.server.BaseHTTPRequestHandler):
    """Answers 503 to everything and counts the requests."""

    count = 0

    def do_POST(self) -> None:
        type(self).count += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


def test_never_retried_a_code_is_single_use() -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = BackendClient(f"http://127.0.0.1:{httpd.server_address[1]}", "t", retries=3, backoff=0.01)
        with pytest.raises(BackendUnavailable):
            client.start_esscard_session(new_code())
        assert _Failing.count == 1
    finally:
        httpd.shutdown()
        httpd.server_close()
