"""Fixtures: the gateway built by ``server.app.create_app`` with the fleet router mounted, staff
accounts of every role, and enrolled terminals in two regions."""

from __future__ import annotations

import itertools
import re
import shutil
import socket
import threading
import time
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from common.config import KioskConfig
from kiosk.config import load_config
from kiosk.device_report import DeviceReport, printer_report
from kiosk.fleet_client import CommandDispatcher, FleetAgent, FleetClient
from kiosk.heartbeat import HeartbeatBuilder
from kiosk.remote_config import ConfigApplier, RemoteConfig, pin_server_key
from server.app import create_app
from server.auth import enroll
from server.context import GatewayContext
from server.devdb import ThrowawayPostgres
from server.fleet import service
from server.fleet import staff as staff_module
from server.fleet.directory import TerminalDirectory
from server.fleet.heartbeats import BeatBuffer, CommandCache, VersionCache
from server.fleet.router import install_fleet
from server.fleet.router import router as fleet_router
from server.fleet.staff import LoginLimiter, create_staff
from server.settings import ServerSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
PG_TEMPLATE = "fleet_template"
_PG_NAMES = itertools.count(1)
REGION_A = "320583"
REGION_B = "441900"


def mount_fleet(app: FastAPI) -> None:
    """Mount the fleet router unless server/app.py already does (the lead wires it there)."""
    if "/api/v1/terminal/heartbeat" not in app.openapi()["paths"]:
        app.include_router(fleet_router)
        app.openapi_schema = None


def build_app(
    data_dir: Path,
    interval: int = 30,
    limiter: LoginLimiter | None = None,
    template: Path | None = None,
    database_url: str = "",
) -> FastAPI:
    """The gateway on a SQLite file in ``data_dir`` (or on ``database_url``, already migrated);
    ``template`` is an already migrated SQLite file to start from (migrating takes most of a
    second; tests copy one migrated file instead)."""
    # Plain http on loopback (TestClient, the live server, chromium): the Secure flag is turned off.
    settings = ServerSettings(data_dir=data_dir, database_url=database_url, secure_cookies=False)
    if database_url:
        settings.migrate_on_start = False
    elif template is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, data_dir / "renshe.db")
        settings.migrate_on_start = False
    app = create_app(settings)
    mount_fleet(app)
    state = install_fleet(app, data_dir, heartbeat_interval=interval, limiter=limiter)
    # Tests change profiles straight in the database; production's 1 s re-check would only add waits.
    state.versions = VersionCache(check_every=0)
    state.beats = BeatBuffer(flush_every=0)
    state.commands = CommandCache(check_every=0)
    state.directory = TerminalDirectory(check_every=0)
    return app


@dataclass
class Fleet:
    app: FastAPI
    ctx: GatewayContext
    data_dir: Path

    def register(self, terminal_id: str, region: str, site: str = "", enrol: bool = True) -> str | None:
        """Register a terminal; returns its bearer token (or None when not enrolled)."""
        with self.ctx.sessions.begin() as db:
            code = service.register_terminal(db, terminal_id, region, site, f"{site} 1号", actor="test")
        if not enrol:
            return None
        with self.ctx.sessions.begin() as db:
            return enroll(db, terminal_id, code)

    def staff(self, username: str, role: str, regions: list[str] | None = None) -> None:
        with self.ctx.sessions.begin() as db:
            create_staff(db, username, role, PASSWORD, regions)

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://127.0.0.1")


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small parameters: production's memory-hard defaults cost ~0.15 s per hash."""
    monkeypatch.setattr(staff_module, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to head for every test to copy."""
    data_dir = tmp_path_factory.mktemp("migrated")
    app = create_app(ServerSettings(data_dir=data_dir))
    app.state.ctx.engine.dispose()
    return data_dir / "renshe.db"


@pytest.fixture(scope="session")
def migrated_pg(postgres_server: ThrowawayPostgres, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a PostgreSQL database migrated to head: the template each test's database copies."""
    url = postgres_server.create_database(PG_TEMPLATE)
    app = create_app(ServerSettings(data_dir=tmp_path_factory.mktemp("migrated-pg"), database_url=url))
    app.state.ctx.engine.dispose()
    return url


@pytest.fixture
def db_kind() -> str:
    """Which database ``fleet`` runs on; test modules that must pass on both override it with
    ``params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]``."""
    return "sqlite"


def _fresh_pg_database(template_url: str, name: str) -> str:
    """``CREATE DATABASE name TEMPLATE ...``: a copy of the migrated schema in a few milliseconds."""
    url = make_url(template_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"')
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(template_url: str, name: str) -> None:
    admin = create_engine(
        make_url(template_url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def fleet(request: pytest.FixtureRequest, tmp_path: Path, migrated_db: Path, db_kind: str) -> Iterator[Fleet]:
    if db_kind == "postgres":
        template_url: str = request.getfixturevalue("migrated_pg")
        name = f"fleet_{next(_PG_NAMES)}"
        app = build_app(tmp_path, database_url=_fresh_pg_database(template_url, name))
    else:
        app = build_app(tmp_path, template=migrated_db)
    f = Fleet(app, app.state.ctx, tmp_path)
    f.staff("admin", "admin")
    f.staff("op_a", "operator", [REGION_A])
    f.staff("viewer", "viewer")
    yield f
    f.ctx.engine.dispose()
    if db_kind == "postgres":
        _drop_pg_database(template_url, name)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    if match is None:
        raise AssertionError("no CSRF field in page")
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/console/login")
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf": csrf_of(page.text), "next": "/console/"},
        follow_redirects=False,
    )


@pytest.fixture
def staff_client(fleet: Fleet) -> Iterator[Any]:
    """``staff_client(username)`` → a TestClient logged in as that user, and its CSRF token."""
    clients: list[TestClient] = []

    def make(username: str) -> tuple[TestClient, str]:
        client = fleet.client()
        clients.append(client)
        answer = login(client, username)
        if answer.status_code != 303:
            raise AssertionError(f"login of {username} failed: {answer.status_code}")
        return client, csrf_of(client.get("/console/").text)

    yield make
    for c in clients:
        c.close()


# ----------------------------------------------------------------------------- live server + terminals
@dataclass
class LiveServer:
    url: str
    fleet: Fleet
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket


def start_live(fleet: Fleet) -> LiveServer:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(fleet.app, log_config=None, access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="fleet-test-server")
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return LiveServer(url, fleet, server, thread, sock)
        except OSError:
            time.sleep(0.05)
    raise AssertionError("test server did not start")


def stop_live(live: LiveServer) -> None:
    live.server.should_exit = True
    live.thread.join(10)
    live.sock.close()


@pytest.fixture
def live(fleet: Fleet) -> Iterator[LiveServer]:
    server = start_live(fleet)
    yield server
    stop_live(server)


class SimTerminal:
    """A kiosk's fleet side (the real kiosk modules) with a fake controller, against a live server."""

    def __init__(self, url: str, terminal_id: str, token: str, data_dir: Path, region: str = REGION_A) -> None:
        self.terminal_id = terminal_id
        self.data_dir = data_dir
        self.idle = True
        self.out_of_service = False
        self.live_applied: list[tuple[KioskConfig, set[str]]] = []
        self.restarts: list[set[str]] = []
        self.test_pages = 0
        self.sessions = 0
        self.prints = 0
        self.paper = "ready"
        data_dir.mkdir(parents=True, exist_ok=True)
        local = data_dir / "local.toml"
        local.write_text(
            f'[terminal]\nid = "{terminal_id}"\nregion = "{region}"\ndata_dir = "{data_dir}"\n', encoding="utf-8"
        )
        self.client = FleetClient(url, token, timeout=5)
        key = self.client.server_key()
        pin_server_key(data_dir, key["public_key"], key["key_id"])
        self.remote = RemoteConfig(data_dir, terminal_id, lambda overlay: load_config(local, remote_bundle=overlay))
        self.remote.load_cached()
        self.applier = ConfigApplier(
            lambda: self.idle,
            lambda cfg, keys: self.live_applied.append((cfg, keys)),
            lambda cfg, keys: self.restarts.append(keys),
        )
        self.dispatcher = CommandDispatcher.for_kiosk(self._set_oos, lambda: None, self._test_page, lambda: 3)
        self.builder = HeartbeatBuilder(
            "1.0.0-test",
            {
                "printer": lambda: _printer(self.paper),
                "card": lambda: DeviceReport("ok"),
                "camera": lambda: DeviceReport("ok"),
            },
            totals=lambda: (self.sessions, self.prints),
            maintenance=lambda: self.out_of_service,
        )
        self.agent = FleetAgent(self.client, self.remote, self.applier, self.builder, self.dispatcher, interval=0.3)

    def _set_oos(self, out: bool) -> None:
        self.out_of_service = out

    def _test_page(self) -> str:
        self.test_pages += 1
        return "test page printed"


def _printer(value: str) -> DeviceReport:
    return printer_report(value)


def wait_for(predicate: Any, timeout: float = 10.0, step: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")
