"""A virtual Epson-compatible network printer (TCP, 127.0.0.1, free port) for tests and the demo.

It keeps every print byte per connection (one connection = one job, as python-escpos ``Network``
opens one per job), answers DLE EOT 1/2/3/4 real-time status queries the way a real printer does,
and can be scripted: paper near end / out, cover open, mute (accepts the connection, answers
nothing), and paper running out after N more bytes (mid-job). The stream is tokenised by command
lengths so image or QR data that happens to contain ``10 04`` is not taken for a status query.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Literal

logger = logging.getLogger(__name__)


@dataclass
class VirtualJob:
    """What one connection delivered: ``data`` (print bytes, status queries removed) and whether
    all of it was printed (False when paper ran out or the cover was open)."""

    data: bytes = b""
    complete: bool = True
    status_queries: list[int] = field(default_factory=list)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        printer = self.server.owner
        sock: socket.socket = self.request
        ticket = self.server.tickets.pop(id(sock), 0)
        with printer._turn:
            # Like a real 9100 port, one connection is served at a time, in the order they came:
            # a status query never overtakes the job sent just before it.
            printer._turn.wait_for(lambda: printer._serving >= ticket)
        try:
            self._serve(printer, sock)
        finally:
            with printer._turn:
                printer._serving = ticket + 1
                printer._turn.notify_all()

    def _serve(self, printer: VirtualNetworkPrinter, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # answer status bytes immediately
        job = VirtualJob()
        pending = bytearray()
        data = bytearray()
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                pending += chunk
                consumed = printer._consume(pending, data, job, sock)
                del pending[:consumed]
        except OSError as exc:
            logger.debug("virtual printer connection ended: %s", exc)
        data += pending  # an incomplete trailing command is still data the printer received
        job.data = bytes(data)
        printer._finish_job(job)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: VirtualNetworkPrinter

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.tickets: dict[int, int] = {}
        self._next_ticket = 0

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        # Runs on the accept thread, so tickets follow connection order.
        self.tickets[id(request)] = self._next_ticket
        self._next_ticket += 1
        super().process_request(request, client_address)


class VirtualNetworkPrinter:
    """Start with ``start()`` (or ``with``); connect to ``host``/``port``; inspect ``received``/``jobs``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._server = _Server((host, port), _Handler, bind_and_activate=True)
        self._server.owner = self
        self._thread: threading.Thread | None = None
        self.host, self.port = self._server.server_address[:2]
        self.paper: Literal["ok", "near_end", "out"] = "ok"
        self.cover_is_open = False
        self.muted = False
        self.error = False
        self._paper_budget: int | None = None
        self.jobs: list[VirtualJob] = []
        self._done = threading.Condition(self._lock)
        self._turn = threading.Condition()
        self._serving = 0

    # ------------------------------------------------------------------ control
    def start(self) -> VirtualNetworkPrinter:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"virtual-printer-{self.port}",
                daemon=True,
            )
            self._thread.start()
            logger.info("virtual printer listening on %s:%s", self.host, self.port)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> VirtualNetworkPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_paper(self, state: Literal["ok", "near_end", "out"]) -> None:
        if state not in ("ok", "near_end", "out"):
            raise ValueError(f"paper state must be ok, near_end or out, not {state!r}")
        with self._lock:
            self.paper = state
            self._paper_budget = None

    def cover_open(self, is_open: bool = True) -> None:
        with self._lock:
            self.cover_is_open = is_open

    def mute(self, muted: bool = True) -> None:
        with self._lock:
            self.muted = muted

    def out_of_paper_after(self, n_bytes: int) -> None:
        """Paper runs out once ``n_bytes`` more print bytes have arrived (mid-job paper end)."""
        with self._lock:
            self._paper_budget = max(int(n_bytes), 0)

    @property
    def received(self) -> bytes:
        """All print bytes of all finished jobs, in order."""
        with self._lock:
            return b"".join(job.data for job in self.jobs)

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``count`` connections have finished (the server thread stores them)."""
        with self._done:
            return self._done.wait_for(lambda: len(self.jobs) >= count, timeout=timeout)

    # ------------------------------------------------------------------ printer behaviour
    def status_byte(self, n: int) -> int:
        """The DLE EOT ``n`` answer for the current state (Epson bit layout)."""
        paper_out = self.paper == "out"
        if n == 1:
            return 0x12 | (0x08 if (paper_out or self.cover_is_open or self.error) else 0)
        if n == 2:
            return 0x12 | (0x04 if self.cover_is_open else 0) | (0x20 if paper_out else 0) | (0x40 if self.error else 0)
        if n == 4:
            return 0x12 | (0x6C if paper_out else 0x0C if self.paper == "near_end" else 0)
        return 0x12

    def _consume(self, buf: bytearray, data: bytearray, job: VirtualJob, sock: socket.socket) -> int:
        """Tokenise ``buf``: answer DLE EOT, append the rest to ``data``. Returns bytes consumed."""
        pos, n = 0, len(buf)
        while pos < n:
            if buf[pos] == 0x10 and pos + 1 < n and buf[pos + 1] == 0x04:
                if pos + 2 >= n:
                    break
                query = buf[pos + 2]
                job.status_queries.append(query)
                with self._lock:
                    answer = None if self.muted else self.status_byte(query)
                if answer is not None:
                    sock.sendall(bytes((answer,)))
                pos += 3
                continue
            size = _command_length(buf, pos)
            if size is None:
                break  # wait for the rest of this command
            self._print(buf[pos : pos + size], data, job)
            pos += size
        return pos

    def _print(self, chunk: bytes | bytearray, data: bytearray, job: VirtualJob) -> None:
        data += chunk
        with self._lock:
            if self.paper == "out" or self.cover_is_open:
                job.complete = False
            elif self._paper_budget is not None:
                self._paper_budget -= len(chunk)
                if self._paper_budget <= 0:
                    self.paper = "out"
                    self._paper_budget = None
                    job.complete = False

    def _finish_job(self, job: VirtualJob) -> None:
        with self._done:
            if job.data or job.status_queries:
                if job.data:
                    self.jobs.append(job)
                self._done.notify_all()


def _command_length(buf: bytearray, pos: int) -> int | None:
    """Length of the command or byte at ``pos`` when it carries a binary payload, else 1.

    None means the command is not complete yet. Only the payload-carrying commands matter here:
    GS v 0 raster images, GS ( k / GS ( L, and ESC/GS commands whose parameter may be 0x10.
    """
    n = len(buf)
    b = buf[pos]
    if b not in (0x1B, 0x1D, 0x1C):
        end = pos + 1
        while end < n and buf[end] not in (0x10, 0x1B, 0x1C, 0x1D):
            end += 1
        return end - pos
    if pos + 1 >= n:
        return None
    second = buf[pos + 1]
    if b == 0x1D and second == ord("v"):
        if pos + 8 > n:
            return None
        width = buf[pos + 4] + 256 * buf[pos + 5]
        height = buf[pos + 6] + 256 * buf[pos + 7]
        total = 8 + width * height
        return total if pos + total <= n else None
    if b == 0x1D and second == ord("("):
        if pos + 5 > n:
            return None
        total = 5 + buf[pos + 3] + 256 * buf[pos + 4]
        return total if pos + total <= n else None
    if (b, second) in ((0x1B, ord("@")), (0x1C, ord("&")), (0x1C, ord(".")), (0x1B, ord("2"))):
        return 2
    if b == 0x1D and second == ord("V"):
        if pos + 2 >= n:
            return None
        return 4 if buf[pos + 2] in (65, 66, 97, 98, 103, 104) else 3
    return 3 if pos + 2 < n else None
