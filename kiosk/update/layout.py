"""The terminal's install and update layout, a contract with ``deploy/terminal/renshe-kiosk-launch``.

- ``ROOT`` (``$RENSHE_KIOSK_ROOT``, default ``/opt/renshe-kiosk``): ``releases/<version>/`` (the
  tree, ``VERSION``, ``.venv`` → ``ROOT/venvs/<16 hex of sha256(requirements.lock)>``),
  ``current`` → ``releases/<version>`` and ``previous`` → the release before the last switch
  (relative symlinks, replaced atomically with ``os.replace``).
- ``DATA`` (``$KIOSK_DATA_DIR``, default ``/var/lib/renshe-kiosk``): ``update/state.json`` while a
  switched-to release has not proved healthy (``version, previous, switched_at, deadline_s,
  starts``); ``update/last.json`` the outcome (``version, outcome, reason?, at``).

The launcher rolls back at start when ``starts`` ≥ 3 or the deadline passed; the release itself
writes ``healthy`` (see ``kiosk.update.health``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.remote_config import write_private

logger = logging.getLogger(__name__)

DEFAULT_ROOT = "/opt/renshe-kiosk"
DEFAULT_DATA = "/var/lib/renshe-kiosk"
DEFAULT_DEADLINE_S = 600
STATE_FILE = "state.json"
LAST_FILE = "last.json"
REPORTED_FILE = "last-reported.json"
REFUSED_FILE = "refused.json"
REPO_ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class Layout:
    root: Path
    data: Path

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> Layout:
        """ROOT from ``$RENSHE_KIOSK_ROOT``; DATA from ``data_dir`` (the kiosk's), else ``$KIOSK_DATA_DIR``."""
        root = Path(os.environ.get("RENSHE_KIOSK_ROOT") or DEFAULT_ROOT)
        data = Path(data_dir) if data_dir is not None else Path(os.environ.get("KIOSK_DATA_DIR") or DEFAULT_DATA)
        return cls(root, data)

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    @property
    def venvs(self) -> Path:
        return self.root / "venvs"

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def previous(self) -> Path:
        return self.root / "previous"

    @property
    def update_dir(self) -> Path:
        return self.data / "update"

    @property
    def state_path(self) -> Path:
        return self.update_dir / STATE_FILE

    @property
    def last_path(self) -> Path:
        return self.update_dir / LAST_FILE

    def installed(self) -> bool:
        """True when the kiosk runs from an install root (``ROOT/current`` exists): a development
        checkout never updates itself."""
        return self.current.is_symlink()

    def current_version(self) -> str | None:
        """The version ``current`` points at (its directory name), or None."""
        return _link_version(self.current)

    def previous_version(self) -> str | None:
        return _link_version(self.previous)


def _link_version(link: Path) -> str | None:
    try:
        return Path(os.readlink(link)).name or None
    except OSError:
        return None


def point(link: Path, target: str) -> None:
    """Make ``link`` a symlink to ``target`` atomically: a temporary symlink, then ``os.replace``."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)
    _fsync_dir(link.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when it is missing or unreadable (logged)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("unreadable update file %s: %s", path.name, exc)
        return None
    return value if isinstance(value, dict) else None


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Write ``value`` atomically, readable by the kiosk's user alone."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(path, json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def write_state(layout: Layout, version: str, previous: str, deadline_s: int = DEFAULT_DEADLINE_S) -> dict[str, Any]:
    state = {
        "version": version,
        "previous": previous,
        "switched_at": int(time.time()),
        "deadline_s": int(deadline_s),
        "starts": 0,
    }
    write_json(layout.state_path, state)
    return state


def refused_versions(layout: Layout) -> set[str]:
    """Versions this terminal refused or rolled back from: never installed again."""
    record = read_json(layout.update_dir / REFUSED_FILE) or {}
    return {str(v) for v in record.get("versions", [])}


def remember_refused(layout: Layout, version: str) -> None:
    versions = sorted(refused_versions(layout) | {version})[-50:]
    write_json(layout.update_dir / REFUSED_FILE, {"versions": versions})


def running_version(default: str) -> str:
    """This tree's version: its ``VERSION`` file (every release has one), else ``default``."""
    try:
        text = (REPO_ROOT / "VERSION").read_text(encoding="utf-8").strip()
    except OSError:
        return default
    return text or default
