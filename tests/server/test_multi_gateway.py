"""Two real gateway processes, each with its own data directory, serving one fleet from one PostgreSQL.

What a deployment of several machines looks like (docs/server-deploy.md): the schema is brought to
head once by ``python -m server migrate``; the gateways start with migrations off (one by
``RENSHE_MIGRATE_ON_START=0``, the other by ``--no-migrate``); they share nothing on disk but the
fleet signing key (``RENSHE_SIGNING_KEY``, made here with ``cryptography``), the card issuer key
file (``RENSHE_CARD_KEY_FILE``) and the public base URL. Whatever a terminal or a resident sees
must then not depend on which process answers: the server key and signed config bundle, a
terminal enrolled at A served at B, a card challenge from A answered at B, a certificate issued
at A verified at B, a staff login at A accepted at B, and the session-start limit counted over both.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import create_engine, inspect, text

from common.bundles import verify_envelope
from server.devdb import ThrowawayPostgres, free_port
from tests.card_holder import session_body

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_BASE = "https://verify.renshe.example.test"
STAFF_PASSWORD = "multi-gateway-staff-pass-2026"
START_LIMIT = 6
BEAT = {
    "app_version": "1.0.0",
    "uptime_seconds": 5.0,
    "config_version": 0,
    "devices": {"printer": {"status": "ok"}, "card": {"status": "ok"}},
    "last_error": None,
    "sessions": 1,
    "prints": 0,
    "print_queue": 0,
    "maintenance": False,
}


@dataclass
class Fleet:
    a: str
    b: str
    env: dict[str, str]
    database_url: str
    person: dict[str, Any]
    codes: dict[str, str]


def _env(tmp: Path, database_url: str) -> dict[str, str]:
    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp / "fleet-signing.pem").write_bytes(key)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENSHE_")}
    env.update(
        PYTHONPATH=str(ROOT),
        RENSHE_DATABASE_URL=database_url,
        RENSHE_SIGNING_KEY=str(tmp / "fleet-signing.pem"),
        RENSHE_CARD_KEY_FILE=str(tmp / "card-issuer-keys.json"),
        RENSHE_PUBLIC_BASE_URL=PUBLIC_BASE,
        RENSHE_SESSION_START_LIMIT=str(START_LIMIT),
        RENSHE_INSECURE_COOKIES="1",  # the console over plain http on loopback
    )
    return env


def _run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "server", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise AssertionError(f"python -m server {' '.join(args)}: {done.returncode}\n{done.stderr[-2000:]}")
    return done


def _start(env: dict[str, str], data_dir: Path, *extra: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    log = (data_dir.parent / f"{data_dir.name}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", str(port), "--data-dir", str(data_dir), *extra],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _healthy(url):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            output = (data_dir.parent / f"{data_dir.name}.log").read_text(errors="replace")[-3000:]
            pytest.fail(f"gateway in {data_dir.name} did not start:\n{output}")
        time.sleep(0.2)
    return url, proc


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="module")
def fleet(postgres_server: ThrowawayPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    tmp = tmp_path_factory.mktemp("multi-gateway")
    database_url = postgres_server.create_database("multi_gateway")
    env = _env(tmp, database_url)
    assert "schema at head" in _run(env, "migrate").stdout
    person = next(
        p
        for p in json.loads(_run(env, "seed", "--persons", "4", "--json", "--data-dir", str(tmp / "seeder")).stdout)
        if p["card_status"] == "normal"
    )
    codes = {
        tid: _run(env, "create-terminal", tid, "--region", "320583", "--data-dir", str(tmp / "admin"))
        .stdout.strip()
        .splitlines()[-1]
        for tid in ("KS-MULTI-01", "KS-MULTI-02", "KS-MULTI-03")
    }
    _run(env, "create-staff", "ops-admin", "--role", "admin", "--data-dir", str(tmp / "admin"), stdin=STAFF_PASSWORD)
    url_a, proc_a = _start({**env, "RENSHE_MIGRATE_ON_START": "0"}, tmp / "gateway-a")
    try:
        url_b, proc_b = _start(env, tmp / "gateway-b", "--no-migrate")
    except BaseException:
        _stop(proc_a)
        raise
    try:
        yield Fleet(url_a, url_b, env, database_url, person, codes)
    finally:
        _stop(proc_a)
        _stop(proc_b)
    # Each data directory holds no key of its own: both came from the environment.
    for name in ("gateway-a", "gateway-b"):
        assert not (tmp / name / "fleet_signing_key.pem").exists()
        assert not (tmp / name / "card-issuer-keys.json").exists()


def _enroll(url: str, code: str, terminal_id: str) -> dict[str, str]:
    answer = requests.post(
        f"{url}/api/v1/terminals/enroll", json={"code": code, "terminal_id": terminal_id}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture(scope="module")
def terminal(fleet: Fleet) -> dict[str, str]:
    """KS-MULTI-01, enrolled through gateway A: its bearer header."""
    return _enroll(fleet.a, fleet.codes["KS-MULTI-01"], "KS-MULTI-01")


def test_same_server_key_and_config_bundle_from_both(fleet: Fleet, terminal: dict[str, str]) -> None:
    keys = [requests.get(f"{u}/api/v1/terminal/server-key", headers=terminal, timeout=10) for u in (fleet.a, fleet.b)]
    assert [k.status_code for k in keys] == [200, 200]
    assert keys[0].json() == keys[1].json()
    expected = serialization.load_pem_private_key(Path(fleet.env["RENSHE_SIGNING_KEY"]).read_bytes(), None)
    assert isinstance(expected, Ed25519PrivateKey)
    assert keys[0].json()["public_key"] == base64.b64encode(expected.public_key().public_bytes_raw()).decode()
    pinned = Ed25519PublicKey.from_public_bytes(base64.b64decode(keys[0].json()["public_key"]))
    bundles = []
    for url in (fleet.a, fleet.b):
        answer = requests.get(f"{url}/api/v1/terminal/config", headers=terminal, timeout=10)
        assert answer.status_code == 200, answer.text
        bundles.append(verify_envelope(answer.json(), pinned, "KS-MULTI-01"))
        assert answer.json()["key_id"] == keys[0].json()["key_id"]
    # issued_at is the moment of signing; everything the terminal applies is the same.
    assert [{k: v for k, v in b.items() if k != "issued_at"} for b in bundles] == [
        {k: v for k, v in bundles[0].items() if k != "issued_at"}
    ] * 2


def test_terminal_enrolled_at_a_beats_at_b(fleet: Fleet, terminal: dict[str, str]) -> None:
    config = requests.get(f"{fleet.b}/api/v1/terminal/config", headers=terminal, timeout=10).json()
    engine = create_engine(fleet.database_url)
    try:
        deadline = time.monotonic() + 10
        seen = None
        while seen is None and time.monotonic() < deadline:
            # Beats are buffered and written about once a second, by a later request to the same process.
            answer = requests.post(f"{fleet.b}/api/v1/terminal/heartbeat", json=BEAT, headers=terminal, timeout=10)
            assert answer.status_code == 200, answer.text
            assert answer.json()["config_version"] == config["bundle"]["version"]
            with engine.connect() as conn:
                seen = conn.execute(
                    text("SELECT last_seen_at FROM fleet_terminals WHERE terminal_id = 'KS-MULTI-01'")
                ).scalar()
            time.sleep(0.4)
        assert seen is not None, "B's heartbeats never reached the database"
    finally:
        engine.dispose()
    # 304 at A for the version B served: both count versions the same way.
    again = requests.get(
        f"{fleet.a}/api/v1/terminal/config",
        params={"since": config["bundle"]["version"]},
        headers=terminal,
        timeout=10,
    )
    assert again.status_code == 304


def test_card_challenge_from_a_answered_at_b_certificate_verified_at_b(fleet: Fleet, terminal: dict[str, str]) -> None:
    challenge = requests.post(f"{fleet.a}/api/v1/sessions/challenge", headers=terminal, timeout=10)
    assert challenge.status_code == 201, challenge.text
    body = session_body(fleet.person, challenge.json()["challenge"])
    opened = requests.post(f"{fleet.b}/api/v1/sessions", json=body, headers=terminal, timeout=10)
    assert opened.status_code == 201, opened.text
    sid = opened.json()["session_id"]
    # Spent at B: A refuses the same challenge.
    replay = requests.post(f"{fleet.a}/api/v1/sessions", json=body, headers=terminal, timeout=10)
    assert replay.status_code == 403 and replay.json()["error"]["code"] == "card_challenge_invalid"
    # The session B opened serves queries at A.
    assert requests.get(f"{fleet.a}/api/v1/sessions/{sid}/insurance", headers=terminal, timeout=10).status_code == 200
    issued = requests.post(
        f"{fleet.a}/api/v1/sessions/{sid}/certificates",
        json={"kind": "insured", "idempotency_key": "multi-gateway-0001"},
        headers=terminal,
        timeout=30,
    )
    assert issued.status_code == 200, issued.text
    cert = issued.json()
    assert cert["verify_url"] == f"{PUBLIC_BASE}/verify/{cert['serial']}?code={cert['verification_code']}"
    checked = requests.get(
        f"{fleet.b}/api/v1/certificates/{cert['serial']}", params={"code": cert["verification_code"]}, timeout=10
    )
    assert checked.status_code == 200 and checked.json()["genuine"] is True
    page = requests.get(f"{fleet.b}/verify/{cert['serial']}", params={"code": cert["verification_code"]}, timeout=10)
    assert page.status_code == 200 and cert["serial"] in page.text
    # The same idempotency key at B answers the certificate A issued.
    again = requests.post(
        f"{fleet.b}/api/v1/sessions/{sid}/certificates",
        json={"kind": "insured", "idempotency_key": "multi-gateway-0001"},
        headers=terminal,
        timeout=30,
    )
    assert again.status_code == 200 and again.json()["serial"] == cert["serial"]


def test_staff_logged_in_at_a_is_known_at_b_and_its_config_change_served_by_a(
    fleet: Fleet, terminal: dict[str, str]
) -> None:
    cookie = _login(fleet.a)
    at_b = requests.get(f"{fleet.b}/console/", cookies=cookie, allow_redirects=False, timeout=10)
    assert at_b.status_code == 200, at_b.status_code
    assert "KS-MULTI-01" in at_b.text
    stranger = requests.get(f"{fleet.b}/console/", allow_redirects=False, timeout=10)
    assert stranger.status_code in (302, 303)

    before = requests.get(f"{fleet.a}/api/v1/terminal/config", headers=terminal, timeout=10).json()["bundle"]
    saved = requests.post(
        f"{fleet.b}/console/profiles/edit",
        data={
            "scope": "terminal",
            "key": "KS-MULTI-01",
            "csrf": _csrf_of(at_b.text),
            "f.announcements.items": "多网关测试通知",
            "f.announcements.rotate_seconds": "5",
        },
        cookies=cookie,
        allow_redirects=False,
        timeout=10,
    )
    assert saved.status_code == 303, saved.text
    # A checks its version cache against the database about once a second.
    deadline = time.monotonic() + 10
    while True:
        bundle = requests.get(f"{fleet.a}/api/v1/terminal/config", headers=terminal, timeout=10).json()["bundle"]
        if bundle["version"] > before["version"] or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert bundle["version"] > before["version"], "A never served the version saved at B"
    assert bundle["config"]["announcements"]["items"] == ["多网关测试通知"]
    beat = requests.post(f"{fleet.b}/api/v1/terminal/heartbeat", json=BEAT, headers=terminal, timeout=10)
    assert beat.json()["config_version"] == bundle["version"]


def _login(url: str) -> dict[str, str]:
    """The console session cookie of ops-admin, logged in at ``url``."""
    client = requests.Session()
    page = client.get(f"{url}/console/login", timeout=10)
    login = client.post(
        f"{url}/console/login",
        data={"username": "ops-admin", "password": STAFF_PASSWORD, "csrf": _csrf_of(page.text), "next": "/console/"},
        allow_redirects=False,
        timeout=10,
    )
    assert login.status_code == 303, login.text
    return {"fleet_session": client.cookies.get("fleet_session") or ""}


def test_terminal_revoked_at_b_is_refused_by_a(fleet: Fleet) -> None:
    headers = _enroll(fleet.a, fleet.codes["KS-MULTI-03"], "KS-MULTI-03")
    beat = requests.post(f"{fleet.a}/api/v1/terminal/heartbeat", json=BEAT, headers=headers, timeout=10)
    assert beat.status_code == 200  # A now holds the terminal in its in-memory directory
    cookie = _login(fleet.a)
    csrf = _csrf_of(requests.get(f"{fleet.b}/console/", cookies=cookie, timeout=10).text)
    revoked = requests.post(
        f"{fleet.b}/console/terminals/KS-MULTI-03/revoke",
        data={"csrf": csrf},
        cookies=cookie,
        allow_redirects=False,
        timeout=10,
    )
    assert revoked.status_code == 303, revoked.text
    deadline = time.monotonic() + 5
    while True:
        beat = requests.post(f"{fleet.a}/api/v1/terminal/heartbeat", json=BEAT, headers=headers, timeout=10)
        if beat.status_code != 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert beat.status_code == 401, "A kept serving a terminal revoked at B"
    challenge = requests.post(f"{fleet.a}/api/v1/sessions/challenge", headers=headers, timeout=10)
    assert challenge.status_code == 401


def _csrf_of(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_session_start_limit_counts_both_gateways(fleet: Fleet) -> None:
    headers = _enroll(fleet.b, fleet.codes["KS-MULTI-02"], "KS-MULTI-02")
    for n in range(START_LIMIT):
        url = fleet.a if n % 2 else fleet.b
        assert requests.post(f"{url}/api/v1/sessions/challenge", headers=headers, timeout=10).status_code == 201
    for url in (fleet.a, fleet.b):
        refused = requests.post(f"{url}/api/v1/sessions/challenge", headers=headers, timeout=10)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_session_starts"


def test_no_migrate_leaves_an_empty_database_alone_and_migrate_steps_queue(
    postgres_server: ThrowawayPostgres, tmp_path: Path
) -> None:
    """A worker started with migrations off never creates a table: that is the migrate step's job,
    which two machines may run at the same moment (an advisory lock queues them)."""
    database_url = postgres_server.create_database("multi_gateway_empty")
    env = _env(tmp_path, database_url)
    url, proc = _start(env, tmp_path / "gateway", "--no-migrate")
    try:
        assert _healthy(url)
    finally:
        _stop(proc)
    engine = create_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
        # Two machines booting together: both migrate steps succeed, one after the other.
        steps = [
            subprocess.Popen(
                [sys.executable, "-m", "server", "migrate"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for step in steps:
            out, err = step.communicate(timeout=120)
            assert step.returncode == 0, err[-2000:]
            assert "schema at head" in out
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert "terminals" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
