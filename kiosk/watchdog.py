"""systemd's notify protocol (sd_notify) for the kiosk's unit: READY=1 once, WATCHDOG=1 from the UI loop.

The unit (deploy/terminal/renshe-kiosk.service) is ``Type=notify`` with ``WatchdogSec``: systemd
waits for READY=1 before the kiosk counts as started, and kills and restarts it when no WATCHDOG=1
arrives for that long. The pings come from a Kivy Clock interval on the UI thread, so a hung UI
thread stops them and the watchdog fires.

The message is one datagram on the AF_UNIX socket named by ``$NOTIFY_SOCKET`` (a path, or an
abstract name written with a leading ``@``). With the variable unset (a developer's run, the tests)
every call does nothing. ``$WATCHDOG_PID`` is not checked: under cage the kiosk is the compositor's
child, not the unit's main process, and the unit says ``NotifyAccess=all`` for that reason.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

logger = logging.getLogger(__name__)

DEFAULT_PING_INTERVAL_S = 10.0  # without $WATCHDOG_USEC: harmless, systemd ignores pings it did not ask for
MIN_PING_INTERVAL_S = 0.05


def notify_address(environ: Mapping[str, str] | None = None) -> str | None:
    """The socket address from ``$NOTIFY_SOCKET`` (abstract names with a NUL byte), or None when unset."""
    env = os.environ if environ is None else environ
    name = env.get("NOTIFY_SOCKET", "")
    if not name:
        return None
    if name.startswith("@"):
        return "\0" + name[1:]
    return name


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send one sd_notify datagram; True if sent. Never raises: a lost ping must not stop the kiosk."""
    address = notify_address(environ)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message.encode("utf-8"), address)
    except OSError as exc:
        logger.warning("sd_notify %s failed: %s", message.split("=", 1)[0], exc)
        return False
    return True


def ping_interval(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between WATCHDOG=1 pings: half of ``$WATCHDOG_USEC`` (as sd_watchdog_enabled advises), or
    DEFAULT_PING_INTERVAL_S when systemd gave none or an unreadable one."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return DEFAULT_PING_INTERVAL_S
    if usec <= 0:
        return DEFAULT_PING_INTERVAL_S
    return max(usec / 2_000_000, MIN_PING_INTERVAL_S)


class Watchdog:
    """READY=1 once and WATCHDOG=1 pings; inert (``enabled`` False) without ``$NOTIFY_SOCKET``.

    ``ready()`` is called once the UI is up; ``ping()`` from a UI-thread timer every ``interval`` s.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self.enabled = notify_address(self._environ) is not None
        self.interval = ping_interval(self._environ)
        self.readied = False

    def ready(self) -> None:
        if self.enabled and not self.readied:
            self.readied = notify("READY=1", self._environ)
            logger.info("told systemd the kiosk is ready (watchdog ping every %.1f s)", self.interval)

    def ping(self) -> None:
        if self.enabled:
            notify("WATCHDOG=1", self._environ)

    def stopping(self) -> None:
        if self.enabled:
            notify("STOPPING=1", self._environ)
