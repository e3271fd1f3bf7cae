"""deploy/server: the systemd units pass ``systemd-analyze verify``, the nginx site passes ``nginx -t``
with a self-signed certificate, and a real nginx (not a daemon, loopback ports, files in tmp_path)
proxies TLS 1.2+/HTTP/2 to two real gateway processes on one PostgreSQL and fails over when one
stops. Nothing on the host is changed: no unit is installed or enabled, nothing under /etc."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from server.devdb import ThrowawayPostgres, free_port
from tests.server.test_multi_gateway import BEAT, _env, _run, _start, _stop

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "server"
UNITS = ("renshe-gateway-migrate.service", "renshe-gateway@.service")
INSTALLED_PYTHON = "/opt/renshe-gateway/.venv/bin/python"


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        pytest.fail(f"{name} is missing: run scripts/setup.sh")
    return found


def test_units_verify(tmp_path: Path) -> None:
    """Every unit, with ExecStart pointed at this checkout's Python (verify checks it exists)."""
    for unit in UNITS:
        text = (DEPLOY / unit).read_text(encoding="utf-8")
        assert INSTALLED_PYTHON in text and "User=renshe-gw" in text and "EnvironmentFile=" in text
        (tmp_path / unit).write_text(text.replace(INSTALLED_PYTHON, sys.executable), encoding="utf-8")
    gateway = (DEPLOY / "renshe-gateway@.service").read_text(encoding="utf-8")
    assert "--no-migrate" in gateway and "Requires=renshe-gateway-migrate.service" in gateway
    assert "Type=oneshot" in (DEPLOY / "renshe-gateway-migrate.service").read_text(encoding="utf-8")
    verified = subprocess.run(
        [_tool("systemd-analyze"), "verify", "--man=no", *(str(tmp_path / u) for u in UNITS[:1])]
        + [str(tmp_path / "renshe-gateway@8601.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0 and verified.stderr == "", verified.stderr


def _certificate(tmp_path: Path) -> Path:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(tmp_path / "gateway.key"),
            "-out",
            str(tmp_path / "gateway.crt"),
        ],
        check=True,
        capture_output=True,
    )
    return tmp_path / "gateway.crt"


def _nginx_conf(tmp_path: Path, https_port: int, http_port: int, upstreams: tuple[int, int]) -> Path:
    """The site as shipped, its addresses and certificate paths moved to tmp_path, in a main config."""
    site = (DEPLOY / "nginx" / "renshe-gateway.conf").read_text(encoding="utf-8")
    for old, new in (
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("/etc/ssl/renshe/", f"{tmp_path}/"),
        ("127.0.0.1:8601", f"127.0.0.1:{upstreams[0]}"),
        ("127.0.0.1:8602", f"127.0.0.1:{upstreams[1]}"),
    ):
        assert old in site, f"the site no longer has {old!r}"
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(
        f"  {kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers that can enter tmp_path
    main = (
        f"{user}worker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{ worker_connections 128; }}\n"
        f"http {{\n  access_log off;\n{temp}\n  include {tmp_path}/site.conf;\n}}\n"
    )
    (tmp_path / "nginx.conf").write_text(main, encoding="utf-8")
    return tmp_path / "nginx.conf"


def _nginx(conf: Path, *extra: str) -> list[str]:
    return [_tool("nginx"), "-p", str(conf.parent), "-c", str(conf), "-e", str(conf.parent / "error.log"), *extra]


def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    _certificate(tmp_path)
    conf = _nginx_conf(tmp_path, free_port(), free_port(), (8601, 8602))
    checked = subprocess.run(_nginx(conf, "-t"), capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    site = (DEPLOY / "nginx" / "renshe-gateway.conf").read_text(encoding="utf-8")
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in site and "location = /healthz" in site
    assert "client_max_body_size" in site and "X-Forwarded-For $remote_addr" in site


def _alpn_and_version(port: int, cafile: Path, max_tls12: bool = False) -> tuple[str | None, str | None]:
    context = ssl.create_default_context(cafile=str(cafile))
    context.set_alpn_protocols(["h2", "http/1.1"])
    if max_tls12:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.selected_alpn_protocol(), tls.version()


def test_nginx_proxies_tls_to_two_gateways_and_fails_over(postgres_server: ThrowawayPostgres, tmp_path: Path) -> None:
    cafile = _certificate(tmp_path)
    env = _env(tmp_path, postgres_server.create_database("deploy_nginx"))
    _run(env, "migrate")
    url_a, proc_a = _start(env, tmp_path / "gateway-a", "--no-migrate")
    procs = [proc_a]
    nginx = None
    try:
        url_b, proc_b = _start(env, tmp_path / "gateway-b", "--no-migrate")
        procs.append(proc_b)
        https_port, http_port = free_port(), free_port()
        ports = (int(url_a.rsplit(":", 1)[1]), int(url_b.rsplit(":", 1)[1]))
        conf = _nginx_conf(tmp_path, https_port, http_port, ports)
        nginx = subprocess.Popen(_nginx(conf, "-g", "daemon off;"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"https://localhost:{https_port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{base}/healthz", verify=str(cafile), timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or nginx.poll() is not None:
                pytest.fail(f"nginx did not proxy /healthz: {(tmp_path / 'error.log').read_text(errors='replace')}")
            time.sleep(0.2)

        assert _alpn_and_version(https_port, cafile) == ("h2", "TLSv1.3")
        assert _alpn_and_version(https_port, cafile, max_tls12=True) == ("h2", "TLSv1.2")
        health = requests.get(f"{base}/healthz", verify=str(cafile), timeout=5)
        assert health.json()["database"] == "postgresql"
        assert "max-age" in health.headers["Strict-Transport-Security"]
        redirect = requests.get(f"http://127.0.0.1:{http_port}/healthz", allow_redirects=False, timeout=5)
        assert redirect.status_code == 301 and redirect.headers["Location"].startswith("https://")
        too_big = requests.post(
            f"{base}/api/v1/terminals/enroll", data=b"x" * (3 << 20), verify=str(cafile), timeout=10
        )
        assert too_big.status_code == 413  # nginx's refusal: the gateways never read it

        assert _client_address_seen(env, base, cafile, https_port) == "127.0.0.5"

        _stop(proc_a)  # one gateway gone: every request still answered, by the other
        for _ in range(12):
            assert requests.get(f"{base}/healthz", verify=str(cafile), timeout=10).status_code == 200
        _stop(proc_b)
        assert requests.get(f"{base}/healthz", verify=str(cafile), timeout=10).status_code == 502
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        for proc in procs:
            if proc.poll() is None:
                _stop(proc)


def _client_address_seen(env: dict[str, str], base: str, cafile: Path, https_port: int) -> str | None:
    """The address the gateways record for a terminal beating through nginx from 127.0.0.5 with a
    forged X-Forwarded-For: nginx's $remote_addr, passed on and trusted by uvicorn from loopback."""
    code = _run(env, "create-terminal", "KS-NGINX-01", "--region", "320583").stdout.strip().splitlines()[-1]
    enrolled = requests.post(f"{base}/api/v1/terminals/enroll", json={"code": code}, verify=str(cafile), timeout=10)
    assert enrolled.status_code == 200, enrolled.text
    headers = {
        "Authorization": f"Bearer {enrolled.json()['token']}",
        "Content-Type": "application/json",
        "X-Forwarded-For": "203.0.113.66",
    }
    context = ssl.create_default_context(cafile=str(cafile))
    engine = create_engine(env["RENSHE_DATABASE_URL"])
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            # Beats are written about once a second by a later request to the same gateway.
            conn = http.client.HTTPSConnection(
                "localhost", https_port, context=context, timeout=10, source_address=("127.0.0.5", 0)
            )
            try:
                conn.request("POST", "/api/v1/terminal/heartbeat", body=json.dumps(BEAT), headers=headers)
                assert conn.getresponse().status == 200
            finally:
                conn.close()
            with engine.connect() as db:
                seen = db.execute(
                    text("SELECT last_ip FROM fleet_terminals WHERE terminal_id = 'KS-NGINX-01'")
                ).scalar()
            if seen:
                return seen
            time.sleep(0.3)
        return None
    finally:
        engine.dispose()
