"""VpcdCardBridge against a fake vpcd (a loopback listener speaking vpcd's socket protocol)."""

from __future__ import annotations

import socket
import struct

import pytest

from drivers.card.simulator import BrokenCard, CardFaults, VirtualSocialSecurityCard
from drivers.card.sscard import SSSE_DF_NAME
from drivers.card.vpcd_card import VpcdCardBridge
from tests.drivers.card.carddata import make_card_data


class FakeVpcd:
    """What vpcd does: listen, accept the card, send length-prefixed control bytes and APDUs."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(5)
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        self.conn, _ = self.server.accept()
        self.conn.settimeout(5)

    def send(self, payload: bytes) -> None:
        self.conn.sendall(struct.pack(">H", len(payload)) + payload)

    def recv(self) -> bytes | None:
        header = self.conn.recv(2, socket.MSG_WAITALL)
        if len(header) < 2:
            return None
        return self.conn.recv(struct.unpack(">H", header)[0], socket.MSG_WAITALL)

    def close(self) -> None:
        if self.conn:
            self.conn.close()
        self.server.close()


@pytest.fixture
def vpcd():
    fake = FakeVpcd()
    yield fake
    fake.close()


def card(**faults) -> VirtualSocialSecurityCard:
    return VirtualSocialSecurityCard.from_card_data(make_card_data(), "123456", faults=CardFaults(**faults))


def test_protocol_control_bytes_and_apdus(vpcd):
    bridge = VpcdCardBridge(port=vpcd.port)
    vcard = card()
    bridge.insert(vcard)
    try:
        vpcd.accept()
        assert bridge.wait_connected(2)
        assert bridge._sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        vpcd.send(b"\x04")
        assert vpcd.recv() == vcard.atr()
        vpcd.send(b"\x01")  # power on: no answer
        vpcd.send(b"\x02")  # reset: no answer
        vpcd.send(bytes.fromhex("00A404000F") + SSSE_DF_NAME)
        assert vpcd.recv() == b"\x90\x00"
        vpcd.send(b"\x00")  # power off
        vpcd.send(bytes.fromhex("00A4020002EF05"))
        assert vpcd.recv() == b"\x6a\x82"  # power cycle forgot the DF selection
        assert bridge.inserted_card is vcard
    finally:
        bridge.remove()
    assert vpcd.recv() is None and bridge.inserted_card is None


def test_card_pulled_mid_apdu_closes_the_socket(vpcd):
    bridge = VpcdCardBridge(port=vpcd.port)
    bridge.insert(card(remove_after_apdus=1))
    vpcd.accept()
    vpcd.send(bytes.fromhex("00A404000F") + SSSE_DF_NAME)
    assert vpcd.recv() == b"\x90\x00"
    vpcd.send(bytes.fromhex("00A4020002EF05"))
    assert vpcd.recv() is None
    bridge.wait_connected(0.2)
    assert bridge.inserted_card is None
    bridge.remove()


def test_mute_card_times_out_then_reconnects(vpcd):
    bridge = VpcdCardBridge(port=vpcd.port, mute_delay=0.05)
    bridge.insert(card(mute=True))
    try:
        vpcd.accept()
        vpcd.send(b"\x04")
        assert vpcd.recv()  # a mute card still resets (ATR) but ignores APDUs
        vpcd.send(bytes.fromhex("00A404000F") + SSSE_DF_NAME)
        assert vpcd.recv() is None  # no answer, connection dropped like a reader timeout
        vpcd.accept()  # still in the slot: the card comes back
    finally:
        bridge.remove()


def test_reinsert_repeatedly_and_survive_vpcd_restart(vpcd):
    bridge = VpcdCardBridge(port=vpcd.port, reconnect_interval=0.01)
    for _ in range(3):
        bridge.insert(card())
        vpcd.accept()
        vpcd.send(b"\x04")
        assert vpcd.recv()
        vpcd.conn.close()  # vpcd side goes away (pcscd restart) ...
        vpcd.accept()  # ... and the bridge reconnects while the card is inserted
        vpcd.send(b"\x04")
        assert vpcd.recv()
        bridge.remove()
        assert vpcd.recv() is None


def test_dead_card_never_connects(vpcd):
    bridge = VpcdCardBridge(port=vpcd.port)
    bridge.insert(BrokenCard(garbage=False))
    vpcd.server.settimeout(0.3)
    with pytest.raises(TimeoutError):
        vpcd.accept()
    bridge.remove()


def test_broken_card_answers_garbage(vpcd):
    bridge = VpcdCardBridge(port=vpcd.port)
    bridge.insert(BrokenCard())
    try:
        vpcd.accept()
        vpcd.send(bytes.fromhex("00A404000F") + SSSE_DF_NAME)
        assert vpcd.recv() == b"\x6f"
    finally:
        bridge.remove()
