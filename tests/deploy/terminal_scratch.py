"""Helpers of the terminal deploy tests: a scratch install and the unit's ExecStart and environment."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import tarfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "scripts" / "install-terminal.sh"
DEPLOY = REPO / "deploy" / "terminal"
UNIT = DEPLOY / "renshe-kiosk.service"


def install(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """scripts/install-terminal.sh --root ROOT with the checkout's venv (no venv built from PyPI)."""
    return subprocess.run(
        [str(INSTALL), "--root", str(root), "--venv", str(REPO / ".venv"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_unit(path: Path = UNIT) -> dict[str, list[str]]:
    """Every ``Section.Key`` of a unit file with all its values in order (Environment= repeats)."""
    unit: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, value = line.split("=", 1)
        unit.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return unit


def unit_value(unit: dict[str, list[str]], key: str) -> str:
    return unit[key][-1]


def unit_environment(unit: dict[str, list[str]], scratch: Path) -> dict[str, str]:
    """The unit's Environment= values, each absolute path moved under the scratch root."""
    env: dict[str, str] = {}
    for line in unit["Service.Environment"]:
        for item in shlex.split(line):
            key, value = item.split("=", 1)
            env[key] = str(scratch / value.lstrip("/")) if value.startswith("/") else value
    return env


def exec_start(unit: dict[str, list[str]]) -> list[str]:
    return shlex.split(unit_value(unit, "Service.ExecStart"))


def launcher_command(unit: dict[str, list[str]], scratch: Path) -> list[str]:
    """ExecStart without the compositor: what cage runs (the words after ``--``), moved under the scratch root."""
    words = exec_start(unit)
    child = words[words.index("--") + 1 :]
    return [str(scratch / child[0].lstrip("/")), *child[1:]]


def base_environment() -> dict[str, str]:
    """This process's environment without what would change the kiosk's run (display, notify socket)."""
    env = dict(os.environ)
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "KIOSK_CONFIG"):
        env.pop(key, None)
    return env


def head_artefact(tmp_path: Path, version: str) -> Path:
    """A release artefact of this checkout's HEAD, as a release is built: git archive plus VERSION."""
    prefix = f"renshe-kiosk-{version}/"
    tree = subprocess.run(
        ["git", "archive", "--format=tar", f"--prefix={prefix}", "HEAD"], cwd=REPO, capture_output=True, check=True
    ).stdout
    (tmp_path / "tree.tar").write_bytes(tree)
    version_file = tmp_path / "VERSION"
    version_file.write_text(version + "\n")
    artefact = tmp_path / f"renshe-kiosk-{version}.tar.gz"
    with tarfile.open(artefact, "w:gz") as out, tarfile.open(tmp_path / "tree.tar") as source:
        for member in source.getmembers():
            out.addfile(member, source.extractfile(member) if member.isfile() else None)
        out.add(version_file, arcname=prefix + "VERSION")
    return artefact


class NotifyListener:
    """A datagram socket standing in for systemd's $NOTIFY_SOCKET: every message with its arrival time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.received: list[tuple[float, bytes]] = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)

    def __enter__(self) -> NotifyListener:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                self.received.append((time.monotonic(), self._sock.recv(256)))
            except TimeoutError:
                continue

    @property
    def messages(self) -> list[bytes]:
        return [message for _, message in self.received]

    def check(self, started: float) -> str:
        """Assert what systemd must hear from a kiosk run: READY=1 once, watchdog pings, STOPPING=1
        last; returns a line of figures."""
        assert self.messages.count(b"READY=1") == 1, self.messages
        ready_at = next(at for at, message in self.received if message == b"READY=1")
        pings = [at for at, message in self.received if message == b"WATCHDOG=1"]
        assert len(pings) >= 3, self.messages
        assert self.messages[-1] == b"STOPPING=1", self.messages[-3:]
        gaps = [b - a for a, b in zip(pings, pings[1:], strict=False)]
        return f"READY=1 {ready_at - started:.2f} s after the start; {len(pings)} pings, largest gap {max(gaps):.2f} s"
