"""Server settings: where the database lives and how the gateway presents itself.

Precedence: explicit constructor arguments (command-line flags) → environment
(``RENSHE_DATA_DIR``, ``RENSHE_DATABASE_URL``, ``RENSHE_PUBLIC_BASE_URL``, ``RENSHE_FACE_THRESHOLD``)
→ defaults.
The default database is a SQLite file ``renshe.db`` under the data directory.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path("data/server")


@dataclass
class ServerSettings:
    """Everything ``create_app`` needs. ``database_url`` empty means SQLite under ``data_dir``."""

    data_dir: Path = field(default_factory=lambda: DEFAULT_DATA_DIR)
    database_url: str = ""
    # Base of the public verification URL printed as the certificate QR code.
    public_base_url: str = "http://127.0.0.1:8600"
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

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        if not self.database_url:
            self.database_url = sqlite_url(self.data_dir)
        self.public_base_url = self.public_base_url.rstrip("/")
        if not 0.0 < self.face_threshold < 1.0:
            raise ValueError(f"face threshold must be in (0, 1), got {self.face_threshold}")

    @classmethod
    def from_env(
        cls, *, data_dir: Path | str | None = None, database_url: str | None = None, public_base_url: str | None = None
    ) -> ServerSettings:
        """Settings from flags first, then the environment, then the defaults."""
        env = os.environ
        return cls(
            data_dir=Path(data_dir or env.get("RENSHE_DATA_DIR") or DEFAULT_DATA_DIR),
            database_url=database_url or env.get("RENSHE_DATABASE_URL", ""),
            public_base_url=public_base_url or env.get("RENSHE_PUBLIC_BASE_URL", "http://127.0.0.1:8600"),
            face_threshold=_float_env("RENSHE_FACE_THRESHOLD", 0.45),
        )

    @property
    def database_kind(self) -> str:
        return self.database_url.split(":", 1)[0].split("+", 1)[0]


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
