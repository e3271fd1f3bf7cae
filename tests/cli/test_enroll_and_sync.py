"""`python main.py enroll` and `python main.py config sync` against a real gateway process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from server.devdb import free_port
from tests.card_holder import sign_in

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def _serve(data_dir: Path) -> Iterator[str]:
    """A real gateway process on a free port (not the default 8600), stopped on leaving."""
    port = free_port()
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
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def gateway(tmp_path):
    data_dir = tmp_path / "server"
    with _serve(data_dir) as url:
        yield url, data_dir


@pytest.fixture
def seeded_gateway(tmp_path):
    """A gateway with three demo residents; yields (url, data_dir, a resident with a usable card)."""
    data_dir = tmp_path / "server"
    seeded = run("-m", "server", "seed", "--persons", "3", "--json", "--data-dir", str(data_dir))
    assert seeded.returncode == 0, seeded.stderr
    person = next(p for p in json.loads(seeded.stdout) if p["card_status"] == "normal")
    with _serve(data_dir) as url:
        yield url, data_dir, person


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return run_env({}, *args, stdin=stdin)


def run_env(extra_env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("KIOSK_CONFIG", "KIOSK_DATA_DIR")}
    env.update(extra_env)
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


def _create_terminal(server_dir: Path, terminal_id: str) -> str:
    created = run("-m", "server", "create-terminal", terminal_id, "--region", "320583", "--data-dir", str(server_dir))
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]


def test_the_code_alone_enrols_and_each_refusal_says_why(gateway, tmp_path):
    url, server_dir = gateway
    code = _create_terminal(server_dir, "KS-01")
    _create_terminal(server_dir, "KS-02")
    kiosk_dir = tmp_path / "kiosk"

    def enroll(*extra: str) -> subprocess.CompletedProcess:
        return run("main.py", "--data-dir", str(kiosk_dir), "enroll", "--server", url, *extra)

    wrong = enroll("--code", "WRONGCODE9")
    assert wrong.returncode == 1
    assert "终端注册码无效" in wrong.stderr and "Invalid enrolment code" in wrong.stderr
    assert "already used" not in wrong.stderr

    mismatch = enroll("--code", code, "--terminal-id", "KS-02")
    assert mismatch.returncode == 1
    assert "This code was issued for KS-01, not KS-02" in mismatch.stderr
    assert "该注册码是为终端 KS-01 签发的，不是 KS-02" in mismatch.stderr
    assert not (kiosk_dir / "terminal.json").exists()

    # No --terminal-id, and config/default.toml's terminal.id (UNENROLLED) does not get in the way.
    enrolled = enroll("--code", code)
    assert enrolled.returncode == 0, enrolled.stderr
    assert "enrolled terminal KS-01" in enrolled.stdout
    credential = kiosk_dir / "terminal.json"
    assert stat.S_IMODE(credential.stat().st_mode) == 0o600
    assert stat.S_IMODE(kiosk_dir.stat().st_mode) == 0o700
    stored = json.loads(credential.read_text(encoding="utf-8"))
    assert stored["terminal_id"] == "KS-01" and stored["server"] == url

    used = enroll("--code", code)
    assert used.returncode == 1
    assert "already used" in used.stderr and "已使用" in used.stderr

    bad_url = enroll("--code", code, "--server", "127.0.0.1:1")
    assert bad_url.returncode == 2 and "invalid server URL" in bad_url.stderr


def test_enrolled_server_is_where_the_kiosk_calls_go(seeded_gateway, tmp_path, monkeypatch):
    """config/default.toml says http://127.0.0.1:8600; the gateway the terminal enrolled with runs
    on another port, and the resident calls (session, certificate) must go there."""
    from cli.runtime import open_runtime
    from main import build_parser

    url, server_dir, person = seeded_gateway
    assert not url.endswith(":8600")
    kiosk_dir = tmp_path / "kiosk"
    monkeypatch.setenv("KIOSK_DATA_DIR", str(kiosk_dir))  # the other way to name the data directory
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    code = _create_terminal(server_dir, "KS-HALL-09")
    enrolled = run_env({"KIOSK_DATA_DIR": str(kiosk_dir)}, "main.py", "enroll", "--server", url, "--code", code)
    assert enrolled.returncode == 0, enrolled.stderr

    runtime = open_runtime(build_parser().parse_args(["doctor"]), devices=False)
    try:
        assert runtime.config.server.url == url
        assert runtime.config.terminal.id == "KS-HALL-09"
        backend = runtime.backend
        session = sign_in(backend, person)  # the card from `seed --json`, PIN and card_keys
        try:
            certificate = backend.issue_certificate(session["session_id"], "insured")
        finally:
            backend.end_session(session["session_id"])
    finally:
        runtime.close()
    # The gateway was started without --public-base-url: the QR code points to where it serves.
    assert certificate["verify_url"].startswith(f"{url}/verify/")
    assert requests.get(certificate["verify_url"], timeout=5).status_code == 200

    # An explicit server.url still wins: in the local config file, or with --set.
    local = tmp_path / "local.toml"
    local.write_text('[server]\nurl = "http://127.0.0.1:9"\n', encoding="utf-8")
    for argv in (["--config", str(local), "doctor"], ["--set", "server.url=http://127.0.0.1:7", "doctor"]):
        runtime = open_runtime(build_parser().parse_args(argv), devices=False)
        try:
            assert runtime.config.server.url != url
            assert runtime.backend.base_url in ("http://127.0.0.1:9", "http://127.0.0.1:7")
        finally:
            runtime.close()
