"""Server settings: where the database lives and how the gateway presents itself.

Precedence: explicit constructor arguments (command-line flags) → environment
(``RENSHE_DATA_DIR``, ``RENSHE_DATABASE_URL``, ``RENSHE_REPLICA_DATABASE_URL``,
``RENSHE_REPLICA_MAX_LAG_SECONDS``, ``RENSHE_PUBLIC_BASE_URL``, ``RENSHE_FACE_THRESHOLD``,
``RENSHE_CARD_KEY_FILE``, ``RENSHE_SESSION_START_LIMIT``, ``RENSHE_FAILED_PROOF_LIMIT``,
``RENSHE_INSECURE_COOKIES``) → defaults.
The default database is a SQLite file ``renshe.db`` under the data directory. The default public
base URL (the base of the verification URL in every certificate's QR code) is the address the
gateway serves on, ``http://HOST:PORT`` from ``--host`` / ``--port`` (loopback when it listens on
all interfaces, which has no single address to print: :func:`public_url_warning` says so).
"""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path("data/server")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8600
# Hosts that mean "every interface": no address a phone could reach, so the default base is loopback.
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]"})


@dataclass(frozen=True)
class TerminalLimits:
    """Per terminal, in any ``window_seconds``: at most ``session_starts`` session starts (card
    challenges and 电子社保卡 sign-ins) and, once ``failed_proofs`` card proofs have failed, no more
    starts (server.terminal_limits). A kiosk serves one resident at a time, each for a minute or
    more: 60 starts in 10 minutes is several times the busiest honest terminal, and a PIN typed
    wrong never reaches the gateway (the card refuses it), so failed proofs are a stolen token's."""

    session_starts: int = 60
    failed_proofs: int = 10
    window_seconds: int = 600

    def __post_init__(self) -> None:
        if min(self.session_starts, self.failed_proofs, self.window_seconds) < 1:
            raise ValueError("terminal limits must be positive")


@dataclass
class ServerSettings:
    """Everything ``create_app`` needs. ``database_url`` empty means SQLite under ``data_dir``."""

    data_dir: Path = field(default_factory=lambda: DEFAULT_DATA_DIR)
    database_url: str = ""
    # A PostgreSQL streaming replica of ``database_url`` for the hot resident reads (server.replica,
    # docs/read-replica.md); empty: every read on the primary.
    replica_database_url: str = ""
    # A replica that has not caught up with the primary for this long is set aside for a while.
    replica_max_lag_seconds: float = 5.0
    # Base of the public verification URL printed as the certificate QR code.
    public_base_url: str = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
    # Requests with a larger body are refused with 413 before any parsing.
    max_body_bytes: int = 64 * 1024
    # A resident session ends by itself after this many seconds without a call.
    session_idle_seconds: int = 15 * 60
    # Run ``alembic upgrade head`` when the app is created.
    migrate_on_start: bool = True
    # Name printed on certificates as the issuing body when the region has none of its own.
    issuing_body: str = "人力资源和社会保障局社会保险事业管理中心"
    # Minimum 1:1 face score (1 - embedding distance) for POST /api/v1/sessions/face to open a session.
    face_threshold: float = 0.45
    # The card issuer key file, when create_app gets no key store (server.card_keys; default
    # <data_dir>/card-issuer-keys.json).
    card_key_file: Path | None = None
    terminal_limits: TerminalLimits = field(default_factory=TerminalLimits)
    # The staff console's cookies carry ``Secure`` (sent over https only). False only for a console
    # served over plain http on loopback: local development, the tests and the demo
    # (RENSHE_INSECURE_COOKIES=1); a browser would drop a Secure session cookie there.
    secure_cookies: bool = True

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        if not self.database_url:
            self.database_url = sqlite_url(self.data_dir)
        self.public_base_url = self.public_base_url.rstrip("/")
        if not 0.0 < self.face_threshold < 1.0:
            raise ValueError(f"face threshold must be in (0, 1), got {self.face_threshold}")
        if self.replica_database_url and self.database_kind != "postgresql":
            raise ValueError("a read replica needs a PostgreSQL primary (RENSHE_DATABASE_URL)")
        if self.replica_max_lag_seconds <= 0:
            raise ValueError(f"replica lag limit must be positive, got {self.replica_max_lag_seconds}")

    @classmethod
    def from_env(
        cls,
        *,
        data_dir: Path | str | None = None,
        database_url: str | None = None,
        public_base_url: str | None = None,
        host: str = DEFAULT_HOST,
        replica_database_url: str | None = None,
        port: int = DEFAULT_PORT,
    ) -> ServerSettings:
        """Settings from flags first, then the environment, then the defaults.

        ``host`` / ``port`` are where the gateway listens: without ``public_base_url`` or
        ``RENSHE_PUBLIC_BASE_URL`` the QR codes point there (:func:`serving_base_url`).
        """
        env = os.environ
        defaults = TerminalLimits()
        return cls(
            data_dir=Path(data_dir or env.get("RENSHE_DATA_DIR") or DEFAULT_DATA_DIR),
            database_url=database_url or env.get("RENSHE_DATABASE_URL", ""),
            replica_database_url=replica_database_url or env.get("RENSHE_REPLICA_DATABASE_URL", ""),
            replica_max_lag_seconds=_float_env("RENSHE_REPLICA_MAX_LAG_SECONDS", 5.0),
            public_base_url=public_base_url or env.get("RENSHE_PUBLIC_BASE_URL") or serving_base_url(host, port),
            face_threshold=_float_env("RENSHE_FACE_THRESHOLD", 0.45),
            card_key_file=Path(env["RENSHE_CARD_KEY_FILE"]) if env.get("RENSHE_CARD_KEY_FILE") else None,
            terminal_limits=TerminalLimits(
                session_starts=int(_float_env("RENSHE_SESSION_START_LIMIT", defaults.session_starts)),
                failed_proofs=int(_float_env("RENSHE_FAILED_PROOF_LIMIT", defaults.failed_proofs)),
            ),
            secure_cookies=env.get("RENSHE_INSECURE_COOKIES", "").strip() != "1",
        )

    @property
    def database_kind(self) -> str:
        return self.database_url.split(":", 1)[0].split("+", 1)[0]


def serving_base_url(host: str, port: int) -> str:
    """``http://HOST:PORT`` for a gateway listening on ``host``:``port``.

    A wildcard host (0.0.0.0, ::) becomes 127.0.0.1: it names no address a client could use, and
    loopback at least answers on the gateway's own machine. IPv6 literals get their brackets.
    """
    host = host.strip()
    if host in WILDCARD_HOSTS:
        host = DEFAULT_HOST
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: assume it is meant to be reached from elsewhere


def public_url_warning(public_base_url: str, host: str) -> str | None:
    """Why the certificate QR codes will not open for a resident, or None when they may.

    A loopback base (127.0.0.1, ::1, localhost) while the gateway listens beyond loopback (a
    wildcard or another address) means it serves other machines, yet the QR code on every printed
    certificate points to the phone that scans it.
    """
    base_host = urlsplit(public_base_url).hostname or ""
    if not _is_loopback(base_host) or _is_loopback(host):
        return None
    return (
        f"public base URL {public_base_url} is a loopback address, but the gateway listens on "
        f"{host or 'all interfaces'}: certificate QR codes will only open on this machine; "
        "set --public-base-url or RENSHE_PUBLIC_BASE_URL to an address residents' phones can reach"
    )


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def sqlite_url(data_dir: Path) -> str:
    """The default database: a SQLite file under ``data_dir`` (created on demand)."""
    return f"sqlite:///{(Path(data_dir) / 'renshe.db').resolve()}"
