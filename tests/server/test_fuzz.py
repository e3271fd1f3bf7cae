"""OpenAPI fuzzing (schemathesis) of the gateway served by real uvicorn: no input may cause a 5xx.

Session-scoped operations get a real open session id whenever the generated id is well formed,
so the fuzzer reaches the handlers instead of stopping at 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from server.embedded import EmbeddedServer, start_embedded_server
from server.settings import TerminalLimits
from tests.card_holder import open_session

SESSION_ID_LEN = 32


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    # The fuzzer starts hundreds of sessions and fails thousands of card proofs from one terminal:
    # limits no kiosk would reach (tests/server/test_terminal_limits.py tests the real ones).
    limits = TerminalLimits(session_starts=1_000_000, failed_proofs=1_000_000)
    server = start_embedded_server(tmp_path_factory.mktemp("fuzz"), persons=10, seed=17, terminal_limits=limits)
    yield server
    server.stop()


def _fresh_session(server: EmbeddedServer) -> str:
    person = next(p for p in server.demo_people() if p["card_status"] == "normal")
    r = open_session(requests.post, {"Authorization": f"Bearer {server.terminal_token}"}, person, base=server.url)
    r.raise_for_status()
    return r.json()["session_id"]


def test_no_input_causes_a_server_error(fuzz_server: EmbeddedServer) -> None:
    # schemathesis' pytest plugin does not work with this pytest; drive its strategies with Hypothesis.
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {fuzz_server.terminal_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: Any) -> None:
            params = case.path_parameters or {}
            sid = params.get("session_id")
            if isinstance(sid, str) and len(sid) == SESSION_ID_LEN and all(c in "0123456789abcdef" for c in sid):
                params["session_id"] = _fresh_session(fuzz_server)
            case.call_and_validate(base_url=fuzz_server.url, checks=[not_a_server_error], headers=headers, timeout=10)

        check()


def test_terminal_api_with_real_commands_causes_no_server_error(fuzz_server: EmbeddedServer) -> None:
    """The fleet side of the terminal API, authenticated, with ids of real queued commands: an id
    Hypothesis draws is swapped for a real one half the time, so the handlers run past the look-up
    (an id past the database's integer once answered 500 here)."""
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {fuzz_server.terminal_token}"}
    real_ids = [fuzz_server.queue_command("print_test_page", actor="fuzz") for _ in range(5)]
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path.startswith("/api/v1/terminal/")]
    assert any("{command_id}" in op.path for op in operations)

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: Any) -> None:
            params = case.path_parameters or {}
            command_id = params.get("command_id")
            if isinstance(command_id, int) and command_id % 2 == 0:
                params["command_id"] = real_ids[command_id % len(real_ids)]
            case.call_and_validate(base_url=fuzz_server.url, checks=[not_a_server_error], headers=headers, timeout=10)

        check()
