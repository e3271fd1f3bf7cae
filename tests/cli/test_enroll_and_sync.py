"""`python main.py enroll` and `python main.py config sync` against a real gateway process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from server.devdb import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def gateway(tmp_path):
    data_dir, port = tmp_path / "server", free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--data-dir", str(data_dir), "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the gateway did not start")
    yield url, data_dir
    process.terminate()
    process.wait(timeout=10)


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("KIOSK_CONFIG", "KIOSK_DATA_DIR")}
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def test_enrol_pin_key_and_sync_config(gateway, tmp_path):
    url, server_dir = gateway
    created = run("-m", "server", "create-terminal", "KS-HALL-01", "--region", "320583", "--data-dir", str(server_dir))
    assert created.returncode == 0, created.stderr
    code = created.stdout.strip().splitlines()[-1]
    kiosk_dir = tmp_path / "kiosk"

    not_yet = run("main.py", "--data-dir", str(kiosk_dir), "config", "sync", "--json")
    assert not_yet.returncode == 1
    assert "not enrolled" in json.loads(not_yet.stdout)["reason"]

    wrong = run(
        "main.py",
        "--data-dir",
        str(kiosk_dir),
        "enroll",
        "--server",
        url,
        "--code",
        "WRONG",
        "--terminal-id",
        "KS-HALL-01",
    )
    assert wrong.returncode == 1
    assert "enrolment refused" in wrong.stderr

    enrolled = run(
        "main.py",
        "--data-dir",
        str(kiosk_dir),
        "enroll",
        "--server",
        url,
        "--code",
        code,
        "--terminal-id",
        "KS-HALL-01",
    )
    assert enrolled.returncode == 0, enrolled.stderr
    credential = kiosk_dir / "terminal.json"
    assert stat.S_IMODE(credential.stat().st_mode) == 0o600
    assert json.loads(credential.read_text(encoding="utf-8"))["terminal_id"] == "KS-HALL-01"

    synced = run("main.py", "--data-dir", str(kiosk_dir), "config", "sync", "--json")
    answer = json.loads(synced.stdout)
    assert synced.returncode == 0, synced.stderr
    assert answer["applied"] is True and isinstance(answer["version"], int)

    reused = run(
        "main.py",
        "--data-dir",
        str(kiosk_dir),
        "enroll",
        "--server",
        url,
        "--code",
        code,
        "--terminal-id",
        "KS-HALL-01",
    )
    assert reused.returncode == 1  # a one-time code
