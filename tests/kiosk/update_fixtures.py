"""Builders shared by the updater tests: an install root with one release, release archives, a
cheap venv builder and a fake fleet client."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.bundles import public_key_b64
from common.release import build_manifest, sign_manifest
from kiosk.remote_config import pin_server_key
from kiosk.update.installer import lock_hash
from kiosk.update.layout import Layout

LOCK = b"requests==2.0\n"


def fake_venv(venv: Path, lock: Path) -> None:
    """A 'venv' whose python is this interpreter (building a real one takes minutes)."""
    (venv / "bin").mkdir(parents=True)
    os.symlink(sys.executable, venv / "bin" / "python")
    (venv / "lock").write_bytes(lock.read_bytes() if lock.exists() else b"")


def install_root(tmp_path: Path, version: str = "1.0.0", lock: bytes = LOCK) -> Layout:
    """ROOT with ``releases/<version>`` (VERSION, requirements.lock, .venv) as ``current``."""
    layout = Layout(tmp_path / "root", tmp_path / "data")
    release = layout.releases / version
    release.mkdir(parents=True)
    (release / "VERSION").write_text(version + "\n", encoding="utf-8")
    (release / "requirements.lock").write_bytes(lock)
    (release / "main.py").write_text("print('old')\n", encoding="utf-8")
    name = lock_hash(release)
    fake_venv(layout.venvs / name, release / "requirements.lock")
    os.symlink(f"../../venvs/{name}", release / ".venv")
    os.symlink(f"releases/{version}", layout.current)
    layout.data.mkdir(mode=0o700)
    return layout


def archive(version: str | None, lock: bytes = LOCK, extra: dict[str, bytes] | None = None) -> bytes:
    """A release .tar.gz in memory: main.py, requirements.lock and VERSION (unless None)."""
    files = {"main.py": f"print({version!r})\n".encode(), "requirements.lock": lock, **(extra or {})}
    if version is not None:
        files["VERSION"] = f"{version}\n".encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def pin(data_dir: Path, key: Ed25519PrivateKey) -> None:
    pin_server_key(data_dir, public_key_b64(key), "test")


def envelope(key: Ed25519PrivateKey, version: str, data: bytes) -> dict[str, Any]:
    manifest = build_manifest(version, hashlib.sha256(data).hexdigest(), len(data), "2026-11-30T19:00:00+00:00")
    return sign_manifest(key, manifest)


class FakeClient:
    """Answers like ``UpdateClient``; ``data`` is what the artefact endpoint serves."""

    def __init__(self, offered: dict[str, Any] | None, data: bytes) -> None:
        self.offered = offered
        self.data = data
        self.reports: list[tuple[str, str, str]] = []
        self.downloads = 0

    def release(self) -> dict[str, Any] | None:
        return self.offered

    def download(self, version: str, dest: Path, should_continue: Any) -> bool:
        self.downloads += 1
        offset = dest.stat().st_size if dest.exists() else 0
        with dest.open("ab") as handle:
            handle.write(self.data[offset:])
        return True

    def report(self, version: str, step: str, reason: str = "") -> dict[str, Any]:
        self.reports.append((version, step, reason))
        return {"recorded": True}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
