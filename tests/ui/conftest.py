"""A real X display (Xvfb) for the Kivy tests; the app runs in a subprocess per test
(Kivy allows one window per process)."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ui.xscreen import XScreenWatcher

OBSERVER_ENV = "RENSHE_JOURNEY_OBSERVER"  # demo/player.py: announce each screenshot, wait for .seen

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
    """Run main.py with arguments on the Xvfb display; returns the CompletedProcess.

    With ``watcher`` (an XScreenWatcher) the story announces each screenshot and waits while the
    watcher grabs the X display and checks what it shows (RENSHE_JOURNEY_OBSERVER=1)."""
    runs = itertools.count(1)

    def run(
        *args: str, timeout: float = 180, display: bool = True, watcher: XScreenWatcher | None = None
    ) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.pop("DISPLAY", None)
        env.pop(OBSERVER_ENV, None)
        if display:
            env["DISPLAY"] = xvfb_display
        env["KIVY_HOME"] = str(tmp_path / "kivy-home")
        env["KIVY_NO_FILELOG"] = "1"
        command = [sys.executable, str(REPO / "main.py"), *args]
        if watcher is None:
            return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        env[OBSERVER_ENV] = "1"
        number = next(runs)
        stdout_path, stderr_path = tmp_path / f"kiosk-{number}.stdout", tmp_path / f"kiosk-{number}.stderr"
        with stdout_path.open("w") as stdout, stderr_path.open("w") as stderr:
            process = subprocess.Popen(command, cwd=REPO, env=env, stdout=stdout, stderr=stderr, text=True)
            deadline = time.monotonic() + timeout
            try:
                while process.poll() is None:
                    if time.monotonic() > deadline:
                        raise subprocess.TimeoutExpired(command, timeout)
                    watcher.poll()
                    time.sleep(0.05)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        return subprocess.CompletedProcess(
            command, process.returncode, stdout_path.read_text(), stderr_path.read_text()
        )

    return run
