"""An in-process gateway for the kiosk's ``--demo`` mode and for integration tests.

``start_embedded_server(data_dir)`` migrates a SQLite database in ``data_dir``, seeds it when
empty, registers and enrols a demo terminal, serves the app with uvicorn on 127.0.0.1 (a free
port, bound before the thread starts so there is no race) in a daemon thread and waits for
``/healthz``. ``set_fault`` drives the demo dock's "server down / slow" switches.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import func, select

from server.app import create_app
from server.auth import create_terminal, enroll
from server.context import GatewayContext
from server.face.verifier import start_warm_up
from server.models import Person
from server.seeding import demo_card_profiles, seed_database
from server.settings import ServerSettings, TerminalLimits, sqlite_url

logger = logging.getLogger(__name__)

DEMO_TERMINAL_ID = "DEMO-0001"
DEMO_REGION = "320583"


class EmbeddedServer:
    """A running gateway. ``url``, ``terminal_id``, ``terminal_token``; ``stop()`` when done."""

    def __init__(
        self,
        server: uvicorn.Server,
        thread: threading.Thread,
        sock: socket.socket,
        ctx: GatewayContext,
        url: str,
        terminal_id: str,
        terminal_token: str,
    ) -> None:
        self._server = server
        self._thread = thread
        self._sock = sock
        self._ctx = ctx
        self.url = url
        self.terminal_id = terminal_id
        self.terminal_token = terminal_token

    def demo_people(self) -> list[dict[str, Any]]:
        """Seeded persons as virtual-card data: CardData JSON fields + ``pin`` + ``card_status`` +
        ``has_photo`` (True for the first seeded person and the first pensioners with a usable card,
        the ones face verification works for) +
        ``card_keys`` (the card's own keys from this gateway's key store, for INTERNAL AUTHENTICATE)."""
        with self._ctx.sessions() as db:
            return demo_card_profiles(db, self._ctx.card_keys)

    def create_staff(self, username: str, role: str, password: str) -> None:
        """A staff account for the console (demo mode creates an admin so the console can be shown)."""
        from server.fleet.staff import create_staff

        with self._ctx.sessions.begin() as db:
            create_staff(db, username, role, password)

    def queue_command(self, kind: str, actor: str = "demo-dock") -> int:
        """Queue a staff command for the demo terminal, as the console's command form does; returns its id."""
        from server.fleet.service import queue_command

        with self._ctx.sessions.begin() as db:
            return queue_command(db, self.terminal_id, kind, actor).id

    def save_profile(self, values: dict[str, Any], actor: str = "demo-dock", comment: str = "") -> int:
        """Save a new version of the demo terminal's own profile, as the console's profile editor
        does (refused with ProfileInvalid by the kiosk's schema); returns the version. The terminal
        picks it up at its next heartbeat as a signed bundle."""
        from server.fleet.profiles import save_profile

        with self._ctx.sessions.begin() as db:
            return save_profile(db, "terminal", self.terminal_id, values, actor, comment).version

    def mint_esscard(self, ssn: str) -> str:
        """A fresh 电子社保卡 code for the seeded person ``ssn``, as their phone would show it
        (server.esscard.codes: 60 s, single use). Raises ValueError for nobody on record."""
        from server.esscard.codes import mint_code

        with self._ctx.sessions.begin() as db:
            if db.scalar(select(Person.id).where(Person.ssn == ssn)) is None:
                raise ValueError("no seeded person with this social security number")
            return mint_code(db, ssn)

    def set_fault(self, mode: str | None, slow_seconds: float | None = None) -> None:
        """None (healthy), 'down' (503 for everything) or 'slow' (each answer delayed ``slow_seconds``,
        default 8 s: beyond the kiosk client's default 5 s timeout)."""
        self._ctx.faults.set(mode, slow_seconds)

    @property
    def fault(self) -> str | None:
        return self._ctx.faults.mode

    def stop(self, timeout: float = 10.0) -> None:
        self._ctx.faults.set(None)
        self._server.should_exit = True
        self._thread.join(timeout)
        self._sock.close()
        self._ctx.engine.dispose()

    def __enter__(self) -> EmbeddedServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _wait_healthy(url: str, thread: threading.Thread, deadline: float) -> None:
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("embedded server thread exited during start-up")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"embedded server at {url} did not become healthy")


def start_embedded_server(
    data_dir: Path,
    persons: int = 20,
    seed: int = 2024,
    *,
    database_url: str | None = None,
    terminal_id: str = DEMO_TERMINAL_ID,
    start_timeout: float = 30.0,
    terminal_limits: TerminalLimits | None = None,
) -> EmbeddedServer:
    """Start a seeded gateway on 127.0.0.1 and return once ``/healthz`` answers.

    ``terminal_limits`` replaces the per-terminal limits on session starts and failed card proofs
    (tests that open hundreds of sessions from one terminal, which no kiosk does)."""
    data_dir = Path(data_dir)
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on sockets that say so, and without it
    # every response written in two parts waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = ServerSettings(
        data_dir=data_dir,
        database_url=database_url or sqlite_url(data_dir),
        public_base_url=url,
        terminal_limits=terminal_limits or TerminalLimits(),
        secure_cookies=False,  # the demo's console is plain http on 127.0.0.1
    )
    app = create_app(settings)
    ctx: GatewayContext = app.state.ctx
    with ctx.sessions.begin() as db:
        if not db.scalar(select(func.count()).select_from(Person)):
            seed_database(db, persons, seed)
    with ctx.sessions.begin() as db:
        code = create_terminal(db, terminal_id, DEMO_REGION)
        token = enroll(db, terminal_id, code)
    config = uvicorn.Config(app, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="embedded-gateway", daemon=True)
    thread.start()
    start_warm_up()  # face models load in the background, not on the demo's first face check
    try:
        _wait_healthy(url, thread, time.monotonic() + start_timeout)
    except Exception:
        server.should_exit = True
        thread.join(5)
        sock.close()
        raise
    logger.info("embedded gateway started", extra={"url": url})
    return EmbeddedServer(server, thread, sock, ctx, url, terminal_id, token)
