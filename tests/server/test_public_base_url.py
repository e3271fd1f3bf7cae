"""The base of the verification URL in certificate QR codes.

Without ``--public-base-url`` (or ``RENSHE_PUBLIC_BASE_URL``) it is the address ``python -m server``
serves on, not the default 127.0.0.1:8600 where nothing may answer; a loopback base while the
gateway listens on other interfaces is logged as a warning at start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from server.devdb import free_port
from server.settings import ServerSettings, public_url_warning, serving_base_url
from tests.card_holder import open_session

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "host, port, expected",
    [
        ("127.0.0.1", 18932, "http://127.0.0.1:18932"),
        ("localhost", 8600, "http://localhost:8600"),
        ("10.1.2.3", 80, "http://10.1.2.3:80"),
        ("kiosk-gw.example", 18932, "http://kiosk-gw.example:18932"),
        ("::1", 18932, "http://[::1]:18932"),
        # Every interface has no one address to print: loopback answers at least on this machine.
        ("0.0.0.0", 18932, "http://127.0.0.1:18932"),
        ("::", 18932, "http://127.0.0.1:18932"),
    ],
)
def test_serving_base_url(host: str, port: int, expected: str) -> None:
    assert serving_base_url(host, port) == expected


def test_from_env_defaults_to_the_served_address(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RENSHE_PUBLIC_BASE_URL", raising=False)
    assert ServerSettings.from_env(data_dir=tmp_path, port=18932).public_base_url == "http://127.0.0.1:18932"
    assert ServerSettings.from_env(data_dir=tmp_path).public_base_url == "http://127.0.0.1:8600"
    monkeypatch.setenv("RENSHE_PUBLIC_BASE_URL", "https://verify.example.test/")
    assert ServerSettings.from_env(data_dir=tmp_path, port=18932).public_base_url == "https://verify.example.test"
    flag = ServerSettings.from_env(data_dir=tmp_path, port=18932, public_base_url="https://flag.example.test")
    assert flag.public_base_url == "https://flag.example.test"


@pytest.mark.parametrize(
    "base, host, warned",
    [
        ("http://127.0.0.1:18932", "0.0.0.0", True),
        ("http://localhost:18932", "::", True),
        ("http://[::1]:18932", "10.1.2.3", True),
        ("http://127.0.0.1:18932", "", True),
        ("http://127.0.0.1:18932", "127.0.0.1", False),
        ("http://127.0.0.1:18932", "localhost", False),
        ("http://10.1.2.3:18932", "0.0.0.0", False),
        ("https://verify.example.test", "0.0.0.0", False),
    ],
)
def test_public_url_warning(base: str, host: str, warned: bool) -> None:
    warning = public_url_warning(base, host)
    assert (warning is not None) is warned
    if warning:
        assert base in warning and "--public-base-url" in warning


@contextmanager
def _serve(tmp_path: Path, *args: str) -> Iterator[tuple[str, Path]]:
    """``python -m server`` with ``args`` on a free port; yields (loopback URL, its stderr log file)."""
    port = free_port()
    data_dir, log = tmp_path / "server", tmp_path / "gateway.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RENSHE_PUBLIC_BASE_URL", None)
    env.pop("RENSHE_DATABASE_URL", None)
    seeded = subprocess.run(
        [sys.executable, "-m", "server", "seed", "--persons", "3", "--json", "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seeded.returncode == 0, seeded.stderr
    (tmp_path / "persons.json").write_text(seeded.stdout, encoding="utf-8")
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "--data-dir", str(data_dir), "--port", str(port), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _answers(url):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"the gateway did not start: {log.read_text(encoding='utf-8')[-2000:]}")
        time.sleep(0.2)
    try:
        yield url, log
    finally:
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


def _warnings(log: Path) -> list[str]:
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    return [r["msg"] for r in records if r["level"] == "WARNING" and "public base URL" in r["msg"]]


def _certificate(url: str, server_dir: Path, person: dict[str, str]) -> dict[str, str]:
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "create-terminal",
            "KS-QR",
            "--region",
            "320583",
            "--data-dir",
            str(server_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    token = requests.post(
        f"{url}/api/v1/terminals/enroll", json={"code": created.stdout.split()[-1]}, timeout=10
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    # The card played from `seed --json` alone (its card_keys), as a simulator outside the gateway would.
    session = open_session(requests.post, headers, person, base=url)
    assert session.status_code == 201, session.text
    issued = requests.post(
        f"{url}/api/v1/sessions/{session.json()['session_id']}/certificates",
        json={"kind": "insured", "idempotency_key": "0123456789abcdef0123456789abcdef"},
        headers=headers,
        timeout=10,
    )
    assert issued.status_code == 200, issued.text
    return issued.json()


def test_qr_codes_point_where_the_gateway_serves(tmp_path: Path) -> None:
    with _serve(tmp_path) as (url, log):
        persons = json.loads((tmp_path / "persons.json").read_text(encoding="utf-8"))
        person = next(p for p in persons if p["card_status"] == "normal")
        certificate = _certificate(url, tmp_path / "server", person)
        assert not url.endswith(":8600")
        assert certificate["verify_url"].startswith(f"{url}/verify/")
        page = requests.get(certificate["verify_url"], timeout=10)
        assert page.status_code == 200 and certificate["serial"] in page.text
        assert _warnings(log) == []  # loopback base, loopback listener: nothing to warn about


def test_loopback_base_on_all_interfaces_is_warned_at_start(tmp_path: Path) -> None:
    with _serve(tmp_path, "--host", "0.0.0.0") as (_url, log):
        deadline = time.monotonic() + 10
        while not _warnings(log) and time.monotonic() < deadline:
            time.sleep(0.1)
        warnings = _warnings(log)
        assert len(warnings) == 1
        assert "loopback" in warnings[0] and "0.0.0.0" in warnings[0] and "--public-base-url" in warnings[0]
