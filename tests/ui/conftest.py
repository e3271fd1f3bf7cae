"""A real X display (Xvfb) for the Kivy tests; the app runs in a subprocess per test
(Kivy allows one window per process)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def xvfb_display():
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed: run scripts/setup.sh (Debian package xvfb)")
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        number = reader.readline().strip()
    if not number:
        process.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def run_kiosk(xvfb_display, tmp_path):
    """Run main.py with arguments on the Xvfb display; returns the CompletedProcess."""

    def run(*args: str, timeout: float = 180, display: bool = True) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.pop("DISPLAY", None)
        if display:
            env["DISPLAY"] = xvfb_display
        env["KIVY_HOME"] = str(tmp_path / "kivy-home")
        env["KIVY_NO_FILELOG"] = "1"
        return subprocess.run(
            [sys.executable, str(REPO / "main.py"), *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
