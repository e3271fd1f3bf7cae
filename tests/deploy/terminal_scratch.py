"""Helpers of the terminal deploy tests: a scratch install and the unit's ExecStart and environment."""

from __future__ import annotations

import os
import shlex
import subprocess
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
