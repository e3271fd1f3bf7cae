"""IsolatedPcscd: a private pcscd with vsmartcard's vpcd driver, for tests and the demo.

Why isolated: pcscd refuses to start while /run/pcscd/pcscd.comm exists, and the Debian vpcd
config listens on 0x8C7B (35963) on ALL interfaces.  So we start pcscd as
``unshare --mount --net --propagation private``:
- a private mount namespace where our own run directory is bind-mounted over /run/pcscd, so
  pcscd's socket and pid file land in ``run_dir`` (visible to every client through
  ``PCSCLITE_CSOCK_NAME``) and a system pcscd, if any, is untouched;
- a private network namespace with only loopback: vpcd always binds INADDR_ANY (vpcd.c
  opensock), so this is the only way to keep its card port off the real network.  The card
  bridge (VpcdCardBridge) enters that namespace just for its ``connect()`` (``.netns_path``).
vpcd's client mode (DEVICENAME ``host:port``) was tried: Debian's 3.3 build crashes pcscd
("bit out of range 0 - FD_SETSIZE") when nothing listens yet, so we use server mode
``/dev/null:<port>``; vpcd then opens two slots, on port and port+1.

If network namespaces are not permitted, ``start()`` falls back to the host network (pcscd
still isolated by mount namespace), binds the chosen free port and logs a warning: vpcd is then
reachable on all interfaces for the lifetime of the test — never do that on a terminal.

pcscd runs under a tiny sh watcher holding a pipe from this process: ``stop()`` (or this process
dying, even by SIGKILL) closes the pipe and the watcher kills pcscd, so no orphan daemon stays.

libpcsclite reads PCSCLITE_CSOCK_NAME once per process (the first SCardEstablishContext), so a
pyscard client in this process must have ``os.environ`` set (``export_env()``) before its first
context; restarting pcscd on the same ``run_dir`` keeps the same socket path.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

logger = logging.getLogger(__name__)

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
FRIENDLY_NAME = "Renshe Virtual PCD"


class PcscdUnavailable(RuntimeError):
    """pcscd, vpcd or the namespace tools are missing; the message says what to install."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_RUNNING: dict[int, IsolatedPcscd] = {}


def running_on_port(port: int) -> IsolatedPcscd | None:
    """The IsolatedPcscd of this process whose vpcd listens on ``port`` (VpcdCardBridge uses it)."""
    return _RUNNING.get(port)


class IsolatedPcscd:
    """Start/stop a private pcscd serving vpcd slots; clients use ``.env`` / ``.socket_path``."""

    def __init__(
        self,
        run_dir: Path | str | None = None,
        vpcd_port: int | None = None,
        private_network: bool = True,
        debug: bool = False,
    ) -> None:
        self._own_dir = run_dir is None
        self.run_dir = Path(run_dir) if run_dir else Path(tempfile.mkdtemp(prefix="renshe-pcscd-"))
        self.vpcd_port = vpcd_port or _free_port()
        self.private_network = private_network
        self.debug = debug
        self.reader_name_pattern = rf"^{FRIENDLY_NAME} 00 00$"
        self._proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.run_dir / "pcscd.log"

    @property
    def socket_path(self) -> Path:
        return self.run_dir / "pcscd.comm"

    @property
    def env(self) -> dict[str, str]:
        return {"PCSCLITE_CSOCK_NAME": str(self.socket_path)}

    @property
    def pid(self) -> int | None:
        """The supervising process inside the namespaces (pcscd is its child)."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    @property
    def netns_path(self) -> str | None:
        """The network namespace vpcd listens in (None: the host network)."""
        if not self.private_network or self.pid is None:
            return None
        return f"/proc/{self.pid}/ns/net"

    def export_env(self) -> None:
        """Point this process's PC/SC clients at our pcscd (before the first PC/SC context)."""
        os.environ.update(self.env)

    @staticmethod
    def check_installed() -> None:
        missing = [tool for tool in ("pcscd", "unshare", "mount") if shutil.which(tool) is None]
        if missing:
            raise PcscdUnavailable(f"missing {', '.join(missing)}: apt-get install pcscd util-linux")
        if not VPCD_DRIVER.exists():
            raise PcscdUnavailable(f"{VPCD_DRIVER} missing: apt-get install vsmartcard-vpcd")

    def _write_config(self) -> Path:
        conf = self.run_dir / "reader.conf"
        conf.write_text(
            f'FRIENDLYNAME "{FRIENDLY_NAME}"\nDEVICENAME   /dev/null:{self.vpcd_port}\n'
            f"LIBPATH      {VPCD_DRIVER}\nCHANNELID    {self.vpcd_port}\n",
            encoding="ascii",
        )
        return conf

    def start(self, timeout: float = 10.0, export_env: bool | None = None) -> None:
        """Start pcscd and wait until its socket answers. Raises PcscdUnavailable.

        ``export_env``: point this process's PC/SC clients here (``export_env()``); the default
        does so when PCSCLITE_CSOCK_NAME is not set yet.
        """
        self.check_installed()
        if export_env or (export_env is None and "PCSCLITE_CSOCK_NAME" not in os.environ):
            self.export_env()
        if self.pid is not None:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for stale in ("pcscd.comm", "pcscd.pid"):
            (self.run_dir / stale).unlink(missing_ok=True)
        conf = self._write_config()
        flags = " -d" if self.debug else ""
        # pcscd runs as a child of a small sh that holds our stdin pipe: when this process ends
        # (even killed), the pipe closes, the watcher kills pcscd, so no orphan daemon survives.
        inner = (
            f"mkdir -p /run/pcscd && mount --bind '{self.run_dir}' /run/pcscd && exec 3<&0 && "
            f"{{ pcscd --foreground --config '{conf}'{flags} </dev/null & p=$!; "
            "(read _eof <&3; kill $p 2>/dev/null) & w=$!; wait $p; st=$?; kill $w 2>/dev/null; exit $st; }"
        )
        if self.private_network:
            # lo starts down in a fresh network namespace; vpcd is reached through it.
            inner = "ip link set lo up && " + inner
        cmd = ["unshare", "--mount", "--propagation", "private"]
        if self.private_network:
            cmd.insert(2, "--net")
        if self.private_network and shutil.which("ip") is None:
            raise PcscdUnavailable("'ip' missing: apt-get install iproute2")
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                cmd + ["sh", "-c", inner],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                tail = self.log_path.read_text(errors="replace")[-800:]
                if self.private_network and ("unshare" in tail or "Operation not permitted" in tail):
                    logger.warning(
                        "no network namespace here; vpcd will listen on all interfaces "
                        "(port %d) while this test pcscd runs",
                        self.vpcd_port,
                    )
                    self.private_network = False
                    return self.start(timeout, export_env=False)
                raise PcscdUnavailable(f"pcscd exited: {tail}")
            if self.socket_path.exists() and self._answers():
                _RUNNING[self.vpcd_port] = self
                logger.info(
                    "isolated pcscd up (pid %s, vpcd port %d, socket %s)", self.pid, self.vpcd_port, self.socket_path
                )
                return
            time.sleep(0.02)
        self.stop()
        raise PcscdUnavailable(f"pcscd did not come up within {timeout} s")

    def _answers(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            try:
                sock.connect(str(self.socket_path))
            except OSError:
                return False
        return True

    def stop(self) -> None:
        """Stop pcscd (EOF to its watcher, then KILL) and remove its socket; the run dir too if we made it."""
        proc, self._proc = self._proc, None
        if _RUNNING.get(self.vpcd_port) is self:
            del _RUNNING[self.vpcd_port]
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()  # EOF: the watcher in the namespace kills pcscd
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # sh and pcscd share the session's group
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        for stale in ("pcscd.comm", "pcscd.pid"):
            (self.run_dir / stale).unlink(missing_ok=True)
        if self._own_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start on the same socket path and vpcd port (simulates a pcscd restart)."""
        own, self._own_dir = self._own_dir, False
        self.stop()
        self._own_dir = own
        self.start()

    def __enter__(self) -> IsolatedPcscd:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
