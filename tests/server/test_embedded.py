"""The embedded demo gateway: real uvicorn on loopback, seeded, enrolled, with fault switches."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from server.embedded import start_embedded_server
from tests.card_holder import open_session


def test_embedded_server_lifecycle_and_faults(tmp_path: Path) -> None:
    server = start_embedded_server(tmp_path, persons=10, seed=3)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
        people = server.demo_people()
        # The ten people, then the household members with a card (server.demo_household).
        assert len(people) > 10 and all(len(p["pin"]) == 6 for p in people)
        assert all(set(p["card_keys"]) == {"01", "02"} for p in people)
        p = next(x for x in people if x["card_status"] == "normal")
        headers = {"Authorization": f"Bearer {server.terminal_token}"}
        r = open_session(requests.post, headers, p, base=server.url)
        assert r.status_code == 201, r.text
        server.set_fault("down")
        down = requests.get(f"{server.url}/healthz", timeout=5)
        assert down.status_code == 503 and down.json()["error"]["code"] == "service_down"
        server.set_fault("slow", slow_seconds=0.5)
        started = time.monotonic()
        assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started >= 0.5
        with pytest.raises(ValueError):
            server.set_fault("broken")
        server.set_fault(None)
    finally:
        server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/healthz", timeout=2)
    # A second start on the same data directory reuses the seeded database.
    again = start_embedded_server(tmp_path, persons=10, seed=3)
    try:
        # ... and its key file: the same cards keep working.
        assert again.demo_people() == people
    finally:
        again.stop()
