"""``python -m server --workers 2``: each worker on its own SO_REUSEPORT socket, and a dead worker's
socket goes with it (no connection is left queued where nobody accepts)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from server.devdb import free_port

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(x) for x in out.stdout.split()]


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RENSHE_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", str(port), "--workers", "2", "--data-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < 2 or not _answers(url):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("gateway with 2 workers did not start")
        time.sleep(0.2)
    yield url, proc
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _fresh_connections_all_answer(url: str, count: int) -> None:
    for _ in range(count):
        # A new connection each time (no Session): each is spread by the kernel afresh.
        assert requests.get(f"{url}/healthz", timeout=3, headers={"Connection": "close"}).status_code == 200


def test_both_workers_listen_and_one_dying_loses_no_connection(gateway: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, proc = gateway
    workers = _children(proc.pid)
    assert len(workers) == 2
    _fresh_connections_all_answer(url, 40)
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while workers[0] in _children(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    _fresh_connections_all_answer(url, 40)
