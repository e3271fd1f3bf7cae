"""What benchmarks/bench_kiosk.py drives the kiosk with: an Xvfb display, X input events (XTest,
as xdotool sends them), the app's frame log (screens/frame_probe.py), the proportional memory of
a process tree, and the kiosk's world in production mode: a seeded gateway process on a free port
and a terminal enrolled with it.

Every path is under a temporary directory of the caller's; every process started here is stopped
by the context manager or ``stop()`` that started it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from server.devdb import free_port

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
SCREEN = (1920, 1080)


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    """An Xvfb display (``:N``), as tests/ui/conftest.py starts one."""
    read_fd, write_fd = os.pipe()
    width, height = SCREEN
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        number = reader.readline().strip()
    try:
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(timeout=10)


class XInput:
    """Pointer events through the XTest extension (what xdotool uses): the X server makes a real
    ButtonPress/ButtonRelease, which reaches the app through SDL like a touchscreen's."""

    def __init__(self, display: str) -> None:
        self._x11 = ctypes.CDLL("libX11.so.6")
        self._xtst = ctypes.CDLL("libXtst.so.6")
        self._x11.XOpenDisplay.restype = ctypes.c_void_p
        self._x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        for name in ("XFlush", "XCloseDisplay"):
            getattr(self._x11, name).argtypes = [ctypes.c_void_p]
        self._x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self._xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self._xtst.XTestFakeMotionEvent.argtypes += [ctypes.c_ulong]
        self._xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self._display = self._x11.XOpenDisplay(display.encode())
        if not self._display:
            raise RuntimeError(f"cannot open X display {display}")

    def click(self, x: int, y: int) -> float:
        """Move to (x, y), then press and release button 1; returns time.monotonic() of the press."""
        self._xtst.XTestFakeMotionEvent(self._display, -1, x, y, 0)
        self._x11.XSync(self._display, 0)
        pressed = time.monotonic()
        self._xtst.XTestFakeButtonEvent(self._display, 1, 1, 0)
        self._xtst.XTestFakeButtonEvent(self._display, 1, 0, 0)
        self._x11.XFlush(self._display)
        return pressed

    def close(self) -> None:
        if self._display:
            self._x11.XCloseDisplay(self._display)
            self._display = None


class FrameLog:
    """Reads the lines screens/frame_probe.py appends; ``wait`` polls for a matching frame."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.frames: list[dict[str, Any]] = []
        self.touches: list[float] = []
        self._offset = 0
        self._partial = ""

    def poll(self) -> None:
        try:
            with self.path.open("r", encoding="utf-8") as stream:
                stream.seek(self._offset)
                chunk = stream.read()
                self._offset = stream.tell()
        except FileNotFoundError:
            return
        lines = (self._partial + chunk).split("\n")
        self._partial = lines.pop()
        for line in lines:
            record = json.loads(line)
            if record["event"] == "frame":
                self.frames.append(record)
            else:
                self.touches.append(record["t"])

    def last(self) -> dict[str, Any]:
        return self.frames[-1]

    def wait(
        self,
        matches: Callable[[dict[str, Any]], bool],
        timeout: float = 60.0,
        alive: Callable[[], bool] | None = None,
        current: bool = False,
    ) -> dict[str, Any]:
        """The first frame logged from now on that ``matches``; with ``current``, the frame on show
        (the last one logged) counts too. RuntimeError after ``timeout`` or once ``alive()`` is false."""
        self.poll()
        start = max(0, len(self.frames) - 1) if current else len(self.frames)
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            for index in range(start, len(self.frames)):
                if matches(self.frames[index]):
                    return self.frames[index]
                start = index + 1
            if time.monotonic() > deadline:
                last = self.frames[-1]["screen"] if self.frames else "no frame"
                raise RuntimeError(f"no matching frame in {timeout:.0f} s (last: {last})")
            if alive is not None and not alive():
                raise RuntimeError("the kiosk exited")
            time.sleep(0.002)


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc/<pid>/task/*/children)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in task.read_text().split())
    return pids


def pss_mb(pid: int) -> float:
    """Proportional set size of the process tree of ``pid``, in MB (10^6 bytes)."""
    total_kb = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    break
    return total_kb * 1024 / 1e6


class PssSampler:
    """The peak PSS of a process tree, sampled every ``interval`` s on a thread until ``stop()``."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.peak = 0.0
        self._pid = pid
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self.peak = max(self.peak, pss_mb(self._pid))
            self._stopped.wait(self._interval)

    def stop(self) -> float:
        self._stopped.set()
        self._thread.join()
        self.peak = max(self.peak, pss_mb(self._pid))
        return self.peak


def _python(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed: {done.stderr.strip()[-300:]}")
    return done.stdout


@contextlib.contextmanager
def enrolled_gateway(root: Path) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    """A seeded gateway process on a free port and a terminal enrolled with it, as an operator sets
    them up (python -m server seed / create-terminal, main.py enroll). Yields (url, the kiosk's
    data directory, a resident whose card is usable)."""
    server_dir, kiosk_dir = root / "server", root / "kiosk"
    people = json.loads(_python("-m", "server", "seed", "--persons", "3", "--json", "--data-dir", str(server_dir)))
    person = next(p for p in people if p["card_status"] == "normal")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = root / "gateway.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "--data-dir", str(server_dir), "--port", str(port)],
            cwd=REPO_ROOT,
            stdout=log,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    tail = log_path.read_text(errors="replace")[-400:]
                    raise RuntimeError(f"the gateway did not start: {tail}") from None
                time.sleep(0.2)
        create = ("-m", "server", "create-terminal", "KS-BENCH-01", "--region", "330106")
        code = _python(*create, "--data-dir", str(server_dir)).strip().splitlines()[-1]
        _python("main.py", "--data-dir", str(kiosk_dir), "enroll", "--server", url, "--code", code)
        yield url, kiosk_dir, person
    finally:
        process.terminate()
        process.wait(timeout=10)


class Kiosk:
    """``main.py`` with the frame probe on, on ``display``; ``started`` is time.monotonic() just
    before the launch. ``stop()`` ends it (SIGTERM, then SIGKILL) and keeps its stderr's tail."""

    def __init__(self, args: list[str], display: str, env: dict[str, str] | None = None) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="renshe-bench-kiosk-"))
        self.log = FrameLog(self._dir / "frames.jsonl")
        full_env = {key: value for key, value in os.environ.items() if key not in ("KIOSK_CONFIG", "KIOSK_DATA_DIR")}
        full_env.update(env or {})
        full_env.update(
            DISPLAY=display,
            KIVY_HOME=str(self._dir / "kivy-home"),
            KIVY_NO_FILELOG="1",
            RENSHE_FRAME_LOG=str(self.log.path),
        )
        self._stderr = (self._dir / "stderr.txt").open("w")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "main.py"), *args],
            cwd=REPO_ROOT,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_screen(self, screen: str, timeout: float = 60.0, target: str | None = None) -> dict[str, Any]:
        """The frame on show, or else the next one, showing ``screen`` (with ``target`` among its
        enabled touch targets, if given)."""

        def matches(frame: dict[str, Any]) -> bool:
            return frame["screen"] == screen and (target is None or target in frame["targets"])

        try:
            return self.log.wait(matches, timeout, self.alive, current=True)
        except RuntimeError as exc:
            raise RuntimeError(f"waiting for {screen}: {exc}; kiosk stderr: {self.stderr_tail()}") from None

    def stderr_tail(self) -> str:
        self._stderr.flush()
        return (self._dir / "stderr.txt").read_text(errors="replace")[-600:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()
        import shutil

        shutil.rmtree(self._dir, ignore_errors=True)
