"""kiosk/watchdog.py: sd_notify datagrams on $NOTIFY_SOCKET (path and abstract), nothing without it."""

from __future__ import annotations

import socket
import uuid

from kiosk.watchdog import DEFAULT_PING_INTERVAL_S, Watchdog, notify, ping_interval


def _listen(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(5)
    return sock


def test_ready_once_then_pings_on_a_path_socket(tmp_path):
    path = str(tmp_path / "notify")
    with _listen(path) as sock:
        watchdog = Watchdog({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"})
        assert watchdog.enabled and watchdog.interval == 15.0
        watchdog.ready()
        watchdog.ready()  # once only
        watchdog.ping()
        watchdog.stopping()
        assert [sock.recv(64) for _ in range(3)] == [b"READY=1", b"WATCHDOG=1", b"STOPPING=1"]


def test_abstract_socket():
    name = f"renshe-test-{uuid.uuid4().hex}"
    with _listen("\0" + name) as sock:
        assert notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(64) == b"WATCHDOG=1"


def test_inert_without_notify_socket():
    watchdog = Watchdog({})
    assert not watchdog.enabled
    watchdog.ready()
    watchdog.ping()
    assert not watchdog.readied
    assert notify("READY=1", {}) is False


def test_a_missing_socket_does_not_raise(tmp_path):
    assert notify("WATCHDOG=1", {"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False


def test_ping_interval_is_half_the_watchdog():
    assert ping_interval({"WATCHDOG_USEC": "60000000"}) == 30.0
    assert ping_interval({"WATCHDOG_USEC": "200000"}) == 0.1
    assert ping_interval({"WATCHDOG_USEC": "junk"}) == DEFAULT_PING_INTERVAL_S
    assert ping_interval({}) == DEFAULT_PING_INTERVAL_S
