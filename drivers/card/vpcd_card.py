"""VpcdCardBridge: serve a virtual card to vsmartcard's vpcd, i.e. to the real pcscd.

vpcd socket protocol (vsmartcard vpcd.c): every message is a 2-byte big-endian length and a
payload.  1-byte payloads from vpcd are control codes: 0x00 power off, 0x01 power on,
0x02 reset (no answer), 0x04 "send the ATR" (answered with the ATR).  Longer payloads are
command APDUs, answered with the response APDU.  vpcd (server mode) listens; the card connects:
``insert(card)`` = connect (pcscd then sees a card), ``remove()`` = close the socket.

Latency: replies go out in ONE write with TCP_NODELAY, and TCP_QUICKACK is re-armed after every
read (Linux clears it), otherwise each APDU can wait ~40 ms for a delayed ACK.
``tcp_tuning=False`` gives the naive behaviour (no socket options, header and payload written
separately, unless ``split_writes=False``) used as the benchmark baseline.

Faults: ``CardPulled`` from the card closes the socket mid-APDU and empties the slot;
``CardMute`` leaves vpcd waiting ``mute_delay`` seconds, then drops the connection (a reader
timing out) and reconnects as the card is still physically there.  If pcscd goes away the bridge
keeps reconnecting while a card is inserted, so a pcscd restart is survived.
"""

from __future__ import annotations

import ctypes
import logging
import os
import socket
import struct
import threading
import time
from collections.abc import Callable

from drivers.card.simulator import CardMute, CardPulled, VirtualCard

logger = logging.getLogger(__name__)

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0x00, 0x01, 0x02, 0x04
_CLONE_NEWNET = 0x40000000


def connect_in_netns(netns_path: str | None, host: str, port: int, timeout: float = 1.0) -> socket.socket:
    """TCP-connect from inside another network namespace (None: this one).

    setns() only changes the calling thread, so a throw-away thread enters the namespace,
    connects and ends; the socket stays bound to that namespace, this process does not move.
    """
    if netns_path is None:
        return socket.create_connection((host, port), timeout=timeout)
    result: dict[str, object] = {}

    def run() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(netns_path, os.O_RDONLY)
            try:
                if libc.setns(fd, _CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({netns_path}): {os.strerror(err)}")
            finally:
                os.close(fd)
            result["sock"] = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            result["error"] = exc

    worker = threading.Thread(target=run, name="vpcd-netns-connect", daemon=True)
    worker.start()
    worker.join()
    if "sock" in result:
        return result["sock"]  # type: ignore[return-value]
    raise result.get("error") or OSError("connect failed")  # type: ignore[misc]


class VpcdCardBridge:
    """A card slot of a vpcd reader (CardSlot): insert/remove virtual cards, safely and repeatedly.

    ``netns_path``: the network namespace vpcd listens in (IsolatedPcscd.netns_path), or a
    callable returning it.  When None, an IsolatedPcscd of this process running vpcd on ``port``
    is looked up on every (re)connect, which also survives its restarts.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 35963,
        *,
        netns_path: str | Callable[[], str | None] | None = None,
        tcp_tuning: bool = True,
        split_writes: bool | None = None,
        mute_delay: float = 1.0,
        reconnect_interval: float = 0.05,
    ) -> None:
        self.host = host
        self.port = port
        self.netns_path = netns_path
        self.tcp_tuning = tcp_tuning
        # Writing the 2-byte header and the payload separately (what a naive bridge does) is what
        # triggers the Nagle/delayed-ACK stall; default: split only when tuning is off.
        self.split_writes = (not tcp_tuning) if split_writes is None else split_writes
        self.mute_delay = mute_delay
        self.reconnect_interval = reconnect_interval
        self._lock = threading.Lock()
        self._card: VirtualCard | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.connected = threading.Event()
        self.apdus_served = 0

    @property
    def inserted_card(self) -> VirtualCard | None:
        return self._card

    def insert(self, card: VirtualCard) -> None:
        """Put ``card`` in the slot (replacing any card); returns at once, the worker connects."""
        self.remove()
        with self._lock:
            self._card = card
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, args=(card, self._stop), name="vpcd-card", daemon=True)
            self._thread.start()
        logger.info("vpcd bridge: card inserted (port %d)", self.port)

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self.connected.wait(timeout)

    def remove(self) -> None:
        """Pull the card: close the socket; vpcd reports the card gone on its next poll."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
            self._card = None
            self._close_socket()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def close(self) -> None:
        self.remove()

    def _close_socket(self) -> None:
        sock, self._sock = self._sock, None
        self.connected.clear()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _connect(self) -> socket.socket:
        # A callable is re-asked on every attempt: a restarted IsolatedPcscd has a new namespace.
        netns = self.netns_path() if callable(self.netns_path) else self.netns_path
        if netns is None and self.host in ("127.0.0.1", "localhost"):
            # Not told: if this process runs an IsolatedPcscd on our port, its vpcd is in there.
            from drivers.card.pcscd_service import running_on_port

            owner = running_on_port(self.port)
            netns = owner.netns_path if owner is not None else None
        sock = connect_in_netns(netns, self.host, self.port)
        sock.settimeout(None)
        if self.tcp_tuning:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._quickack(sock)
        return sock

    def _quickack(self, sock: socket.socket) -> None:
        if self.tcp_tuning and hasattr(socket, "TCP_QUICKACK"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    def _run(self, card: VirtualCard, stop: threading.Event) -> None:
        if card.dead:
            # vpcd cannot express "card present but mute" (an empty ATR reads as no card, and a
            # disconnect on such a slot has been seen to wedge pcscd), so a card without ATR
            # simply never connects: pcscd sees an empty slot.
            logger.info("vpcd bridge: dead card (no ATR) - slot stays empty for pcscd")
            return
        while not stop.is_set():
            try:
                sock = self._connect()
            except OSError:
                stop.wait(self.reconnect_interval)  # vpcd not listening (yet / pcscd restarting)
                continue
            with self._lock:
                if stop.is_set():
                    sock.close()
                    return
                self._sock = sock
            self.connected.set()
            try:
                outcome = self._serve(sock, card)
            except OSError:
                outcome = "lost"
            with self._lock:
                if self._sock is sock:
                    self._close_socket()
            if outcome == "pulled":
                with self._lock:
                    if self._card is card:
                        self._card = None
                logger.info("vpcd bridge: card pulled mid-APDU")
                return
            if not stop.is_set():
                stop.wait(self.reconnect_interval)

    def _recv_exact(self, sock: socket.socket, size: int) -> bytes | None:
        data = sock.recv(size, socket.MSG_WAITALL) if size else b""
        self._quickack(sock)
        return data if len(data) == size else None

    def _send(self, sock: socket.socket, payload: bytes) -> None:
        header = struct.pack(">H", len(payload))
        if self.split_writes:
            sock.sendall(header)
            sock.sendall(payload)
        else:
            sock.sendall(header + payload)

    def _serve(self, sock: socket.socket, card: VirtualCard) -> str:
        """Answer vpcd until the connection ends: 'lost', or 'pulled' when the card left."""
        while True:
            header = self._recv_exact(sock, 2)
            if header is None:
                return "lost"
            (size,) = struct.unpack(">H", header)
            payload = self._recv_exact(sock, size)
            if payload is None:
                return "lost"
            if size == 1:
                self._control(sock, card, payload[0])
                continue
            try:
                response = card.process(payload)
            except CardPulled:
                return "pulled"
            except CardMute:
                time.sleep(self.mute_delay)
                return "lost"
            self.apdus_served += 1
            self._send(sock, response)

    def _control(self, sock: socket.socket, card: VirtualCard, code: int) -> None:
        try:
            if code == CTRL_OFF:
                card.power_off()
            elif code == CTRL_ON:
                card.power_on()
            elif code == CTRL_RESET:
                card.reset()
            elif code == CTRL_ATR:
                self._send(sock, card.atr())
            else:
                logger.warning("vpcd bridge: unknown control byte %02X", code)
        except CardMute:
            if code == CTRL_ATR:
                # No ATR: an empty answer makes vpcd report "no card".
                self._send(sock, b"")
