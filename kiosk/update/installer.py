"""Verify a downloaded release, unpack it beside the running one, give it a venv and switch to it.

Nothing here touches ``current`` until the artefact's size and sha256 match the signed manifest,
the tree unpacked safely (no absolute paths, links or devices: tarfile's ``data`` filter) and its
``VERSION`` names the manifest's version. The venv is shared when ``requirements.lock`` is
unchanged (``ROOT/venvs/<16 hex of its sha256>``); a new lock gets a new venv built beside it by
``build_venv`` (injectable: tests pass a cheap one). After a switch at most the current, the
previous and the new release are kept, and the venvs they use.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.release import ManifestRejected
from kiosk.update.layout import DEFAULT_DEADLINE_S, Layout, point, write_state

logger = logging.getLogger(__name__)

VenvBuilder = Callable[[Path, Path], None]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_artefact(path: Path, manifest: dict[str, Any]) -> None:
    """ManifestRejected ``bad_size`` / ``bad_sha256`` unless ``path`` is the manifest's artefact."""
    size = path.stat().st_size
    if size != manifest["size"]:
        raise ManifestRejected("bad_size", f"{size} bytes, the manifest says {manifest['size']}")
    if file_sha256(path) != manifest["sha256"]:
        raise ManifestRejected("bad_sha256", "the artefact's sha256 differs from the signed manifest")


def lock_hash(release_dir: Path) -> str:
    """First 16 hex of the sha256 of the release's requirements.lock (empty file when it has none)."""
    lock = release_dir / "requirements.lock"
    data = lock.read_bytes() if lock.exists() else b""
    return hashlib.sha256(data).hexdigest()[:16]


def build_venv(venv: Path, lock: Path) -> None:
    """A venv with the pinned requirements, built by the running interpreter (pip, no network cache
    of our own). Raises subprocess.CalledProcessError when pip fails."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=600)
    if lock.exists() and lock.stat().st_size:
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-input", "--disable-pip-version-check"]
        subprocess.run([*pip, "-r", str(lock)], check=True, timeout=3600)


def unpack(layout: Layout, artefact: Path, version: str, builder: VenvBuilder = build_venv) -> Path:
    """Unpack ``artefact`` into ``ROOT/releases/<version>`` with its ``.venv`` link; returns it.
    Raises ManifestRejected("malformed") for a bad archive or a VERSION that differs."""
    layout.releases.mkdir(parents=True, exist_ok=True)
    final = layout.releases / version
    if layout.current_version() == version:
        raise ManifestRejected("malformed", f"{version} is the running release")
    staging = layout.releases / f".{version}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        with tarfile.open(artefact, "r:gz") as archive:
            archive.extractall(staging, filter="data")
        found = (staging / "VERSION").read_text(encoding="utf-8").strip() if (staging / "VERSION").exists() else ""
        if found != version:
            raise ManifestRejected("malformed", f"VERSION in the archive is {found!r}, not {version!r}")
        _link_venv(layout, staging, builder)
    except (tarfile.TarError, OSError, EOFError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ManifestRejected("malformed", f"cannot unpack: {type(exc).__name__}: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if final.exists():
        shutil.rmtree(final)  # an earlier, interrupted install of the same version: never current
    os.replace(staging, final)
    return final


def _link_venv(layout: Layout, release_dir: Path, builder: VenvBuilder) -> None:
    name = lock_hash(release_dir)
    venv = layout.venvs / name
    if not venv.exists():
        layout.venvs.mkdir(parents=True, exist_ok=True)
        building = layout.venvs / f".{name}.building"
        shutil.rmtree(building, ignore_errors=True)
        logger.info("building venv %s for a new requirements.lock", name)
        try:
            builder(building, release_dir / "requirements.lock")
        except (subprocess.SubprocessError, OSError) as exc:
            shutil.rmtree(building, ignore_errors=True)
            raise OSError(f"venv build failed: {exc}") from exc
        os.replace(building, venv)
    link = release_dir / ".venv"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.join("..", "..", "venvs", name), link)


def switch(layout: Layout, version: str, deadline_s: int = DEFAULT_DEADLINE_S) -> dict[str, Any]:
    """Make ``version`` current: ``state.json`` first (so the launcher can always roll back), then
    ``previous`` → the running release, then ``current`` → the new one; prune old releases."""
    old = layout.current_version()
    if old is None:
        raise OSError(f"{layout.current} is not a symlink: not an installed kiosk")
    if not (layout.releases / version / "VERSION").exists():
        raise OSError(f"release {version} is not installed")
    state = write_state(layout, version, old, deadline_s)
    point(layout.previous, f"releases/{old}")
    point(layout.current, f"releases/{version}")
    prune(layout)
    logger.info("switched to release %s (previous %s)", version, old)
    return state


def prune(layout: Layout) -> list[str]:
    """Remove releases other than current and previous (and staging leftovers), then unused venvs."""
    keep = {layout.current_version(), layout.previous_version()}
    removed = []
    for entry in sorted(layout.releases.iterdir()) if layout.releases.exists() else []:
        if entry.name not in keep and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    used = set()
    for name in keep:
        if name:
            target = layout.releases / name / ".venv"
            if target.is_symlink():
                used.add(Path(os.readlink(target)).name)
    for entry in sorted(layout.venvs.iterdir()) if layout.venvs.exists() else []:
        if entry.name not in used and not entry.name.startswith("."):
            shutil.rmtree(entry, ignore_errors=True)
    return removed
