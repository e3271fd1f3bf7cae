"""Integration: simulated cards through vpcd → real pcscd → pyscard → PcscCardReader."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from drivers.card.monitor import CardMonitor
from drivers.card.pcsc_reader import PcscCardReader
from drivers.card.simulator import CardFaults, NonSocialSecurityCard, VirtualSocialSecurityCard
from drivers.card.sscard import change_pin, read_card, verify_pin
from kiosk.errors import CardError, CardErrorKind
from tests.drivers.card.carddata import make_card_data

pytestmark = pytest.mark.pcscd


def wait_present(reader: PcscCardReader, want: bool = True, timeout: float = 3.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if reader.card_present() == want:
            return time.monotonic() - start
        time.sleep(0.01)
    pytest.fail(f"card_present() never became {want}")


def card(version: str = "3.00", t0: bool = False, **kw) -> VirtualSocialSecurityCard:
    return VirtualSocialSecurityCard.from_card_data(make_card_data(spec_version=version), "123456", t0=t0, **kw)


@pytest.mark.parametrize("version,t0", [("1.00", True), ("2.00", False), ("3.00", True), ("3.00", False)])
def test_read_through_pcscd(pcscd, bridge, version, t0):
    reader = PcscCardReader(pcscd.reader_name_pattern)
    assert reader.card_present() is False
    bridge.insert(card(version, t0))
    wait_present(reader)
    with reader.connect() as conn:
        data = read_card(conn)
    assert data == make_card_data(spec_version=version)
    assert reader.name == "Renshe Virtual PCD 00 00"


def test_pin_through_pcscd(pcscd, bridge):
    reader = PcscCardReader(pcscd.reader_name_pattern)
    bridge.insert(card())
    wait_present(reader)
    with reader.connect() as conn:
        assert verify_pin(conn, "654321").tries_left == 2
        assert verify_pin(conn, "123456").ok
        assert verify_pin(conn, "000000", select=False).tries_left == 2
        assert verify_pin(conn, "000000", select=False).tries_left == 1
        assert verify_pin(conn, "000000", select=False).tries_left == 0
        result = verify_pin(conn, "123456", select=False)
        assert result.blocked and not result.ok and result.tries_left == 0


def test_pin_blocked_fault(pcscd, bridge):
    reader = PcscCardReader(pcscd.reader_name_pattern)
    bridge.insert(card(faults=CardFaults(pin_blocked=True)))
    wait_present(reader)
    with reader.connect() as conn:
        assert verify_pin(conn, "123456").blocked


def test_bank_card_is_not_a_social_security_card(pcscd, bridge):
    reader = PcscCardReader(pcscd.reader_name_pattern)
    bridge.insert(NonSocialSecurityCard())
    wait_present(reader)
    with reader.connect() as conn, pytest.raises(CardError) as err:
        read_card(conn)
    assert err.value.kind is CardErrorKind.NOT_SOCIAL_SECURITY_CARD


def test_card_pulled_mid_read(pcscd, bridge):
    reader = PcscCardReader(pcscd.reader_name_pattern)
    bridge.insert(card(faults=CardFaults(remove_after_apdus=5)))
    wait_present(reader)
    conn = reader.connect()
    with pytest.raises(CardError) as err:
        read_card(conn)
    conn.disconnect()
    assert err.value.kind is CardErrorKind.REMOVED
    wait_present(reader, want=False)
    with pytest.raises(CardError) as err:
        reader.connect()
    assert err.value.kind is CardErrorKind.NO_CARD


def test_status_override_fault(pcscd, bridge):
    reader = PcscCardReader(pcscd.reader_name_pattern)
    bridge.insert(card(faults=CardFaults(status_override={bytes.fromhex("00B207"): 0x6581})))
    wait_present(reader)
    with reader.connect() as conn, pytest.raises(CardError) as err:
        read_card(conn)
    assert err.value.kind is CardErrorKind.UNEXPECTED_STATUS and err.value.sw == 0x6581


def test_unknown_reader_name(pcscd):
    with pytest.raises(CardError) as err:
        PcscCardReader("^No Such Reader$").card_present()
    assert err.value.kind is CardErrorKind.NO_READER


def test_monitor_sees_insert_and_remove_within_half_a_second(pcscd, bridge):
    reader = PcscCardReader(pcscd.reader_name_pattern)
    events: list[tuple[str, float]] = []
    changed = threading.Event()

    def note(kind: str) -> None:
        events.append((kind, time.monotonic()))
        changed.set()

    monitor = CardMonitor(reader, lambda: note("in"), lambda: note("out"), poll_interval=0.1)
    monitor.start()
    try:
        time.sleep(0.3)
        assert events == []
        for _ in range(2):
            changed.clear()
            t0 = time.monotonic()
            bridge.insert(card())
            assert changed.wait(2.0)
            assert events[-1][0] == "in" and events[-1][1] - t0 < 0.5, events
            changed.clear()
            t0 = time.monotonic()
            bridge.remove()
            assert changed.wait(2.0)
            assert events[-1][0] == "out" and events[-1][1] - t0 < 0.5, events
    finally:
        monitor.stop()
    assert not monitor.running


def test_independent_client_sees_virtual_reader_and_card(pcscd, bridge):
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", **pcscd.env}
    bridge.insert(card())
    wait_present(PcscCardReader(pcscd.reader_name_pattern))
    listing = subprocess.run(["opensc-tool", "-l"], env=env, capture_output=True, text=True, timeout=20)
    assert re.search(r"Yes\s+.*Renshe Virtual PCD 00 00", listing.stdout), listing.stdout + listing.stderr
    atr = subprocess.run(
        ["opensc-tool", "-r", "Renshe Virtual PCD 00 00", "-a"], env=env, capture_output=True, text=True, timeout=20
    )
    assert "3b:6c:00:00" in atr.stdout.lower(), atr.stdout + atr.stderr
    select = subprocess.run(
        [
            "opensc-tool",
            "-r",
            "Renshe Virtual PCD 00 00",
            "-s",
            "00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert "SW1=0x90, SW2=0x00" in select.stdout, select.stdout + select.stderr


def test_pcscd_restart_is_survived(pcscd, bridge):
    reader = PcscCardReader(pcscd.reader_name_pattern)
    events: list[str] = []
    monitor = CardMonitor(reader, lambda: events.append("in"), lambda: events.append("out"), poll_interval=0.05)
    bridge.insert(card())
    wait_present(reader)
    monitor.start()
    try:
        deadline = time.monotonic() + 2
        while events != ["in"] and time.monotonic() < deadline:
            time.sleep(0.02)
        pcscd.stop()
        with pytest.raises(CardError) as err:
            reader.card_present()
        assert err.value.kind is CardErrorKind.SERVICE
        deadline = time.monotonic() + 2
        while events != ["in", "out"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert events == ["in", "out"]
        pcscd.start()
        wait_present(reader, timeout=5)
        deadline = time.monotonic() + 3
        while events != ["in", "out", "in"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert events == ["in", "out", "in"]
        with reader.connect() as conn:
            assert read_card(conn).card_number == "A12345678"
    finally:
        monitor.stop()


def test_vpcd_port_is_not_on_the_host_network(pcscd):
    if pcscd.netns_path is None:
        pytest.fail("network namespaces unavailable: vpcd listens on all interfaces here")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", pcscd.vpcd_port), timeout=0.5).close()
    assert pcscd.socket_path.exists() and "/run/pcscd" not in str(pcscd.socket_path)


def test_mute_card_through_pcscd(pcscd, bridge):
    reader = PcscCardReader(pcscd.reader_name_pattern)
    bridge.mute_delay = 0.2
    vcard = card()
    bridge.insert(vcard)
    wait_present(reader)
    conn = reader.connect()
    vcard.faults.mute = True
    with pytest.raises(CardError) as err:
        read_card(conn)
    conn.disconnect()
    assert err.value.kind is CardErrorKind.MUTE


def test_second_isolated_pcscd_stops_cleanly(tmp_path):
    from drivers.card.pcscd_service import IsolatedPcscd

    other = IsolatedPcscd(tmp_path / "run")
    other.start()
    pid = other.pid
    assert pid and other.socket_path.exists()
    other.stop()
    assert other.pid is None and not other.socket_path.exists()
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_demo_stack_uses_real_pcscd_in_a_fresh_process():
    """open_virtual_card_stack() in its own process (it must own the process's PC/SC socket path)."""
    import json
    import sys

    code = (
        "import json, time\n"
        "from drivers.card.stack import open_virtual_card_stack\n"
        "from drivers.card.simulator import VirtualSocialSecurityCard\n"
        "from drivers.card.sscard import read_card\n"
        "from tests.drivers.card.carddata import make_card_data\n"
        "stack = open_virtual_card_stack()\n"
        "try:\n"
        "    stack.slot.insert(VirtualSocialSecurityCard.from_card_data(make_card_data(), '123456'))\n"
        "    deadline = time.monotonic() + 5\n"
        "    while not stack.reader.card_present() and time.monotonic() < deadline:\n"
        "        stack.reader.wait_for_change(0.1)\n"
        "    with stack.reader.connect() as conn:\n"
        "        print(json.dumps({'transport': stack.transport, 'card': read_card(conn).to_json()}))\n"
        "finally:\n"
        "    stack.close()\n"
    )
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"transport": "pcscd", "card": make_card_data().to_json()}


def test_pcscd_dies_with_a_killed_owner(tmp_path):
    """SIGKILL the process that started IsolatedPcscd: no orphan pcscd may survive it."""
    import signal
    import sys

    code = (
        "import sys, time\n"
        "from drivers.card.pcscd_service import IsolatedPcscd\n"
        f"p = IsolatedPcscd({str(tmp_path / 'run')!r})\n"
        "p.start()\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    root = Path(__file__).resolve().parents[3]
    owner = subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        line = owner.stdout.readline()
        assert line.strip().isdigit(), "owner did not start pcscd"
        socket_path = tmp_path / "run" / "pcscd.comm"
        assert socket_path.exists()
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(5)
    deadline = time.monotonic() + 5
    while socket_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not socket_path.exists(), "pcscd outlived its owner"
    config = str(tmp_path / "run" / "reader.conf")
    alive = subprocess.run(["pgrep", "-f", config], capture_output=True, text=True)
    assert alive.stdout.strip() == ""


@pytest.mark.parametrize("t0", [False, True])
def test_change_pin_through_pcscd(pcscd, bridge, t0):
    """CHANGE PIN (CLA 80) through vpcd → pcscd → pyscard: the card keeps the new PIN."""
    reader = PcscCardReader(pcscd.reader_name_pattern)
    virtual = card(t0=t0)
    bridge.insert(virtual)
    wait_present(reader)
    with reader.connect() as conn:
        assert change_pin(conn, "000001", "802731").tries_left == 2
        assert change_pin(conn, "123456", "802731").ok
    with reader.connect() as conn:
        assert verify_pin(conn, "802731").ok
        assert verify_pin(conn, "123456").tries_left == 2
    assert virtual.profile.pin == "802731"
