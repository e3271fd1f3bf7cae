"""A small ESC/POS parser: bytes back to text lines, native QR payloads and raster images.

Used by the tests and the demo to check what a printer was sent. It understands the commands our
encoder and python-escpos emit (and skips the common others by their documented lengths). Chinese
mode (``FS &`` … ``FS .``) bytes are decoded as GB18030, a superset of GBK.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

RASTER_PLACEHOLDER = "\ufffc"  # the object-replacement character stands for a line printed as an image


@dataclass
class DecodedJob:
    lines: list[str] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    raster_images: int = 0
    raster_bytes: int = 0
    cuts: int = 0
    inits: int = 0
    status_queries: int = 0
    unknown: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def qr_payloads(self) -> list[str]:
        """Alias of ``qr_codes`` (the name the CLI and UI tests use)."""
        return self.qr_codes


# Fixed-length commands: prefix -> total length in bytes (prefix included).
_FIXED = {
    b"\x1b@": 2,
    b"\x1ba": 3,
    b"\x1bE": 3,
    b"\x1b!": 3,
    b"\x1bM": 3,
    b"\x1b-": 3,
    b"\x1bG": 3,
    b"\x1b2": 2,
    b"\x1b3": 3,
    b"\x1bt": 3,
    b"\x1bR": 3,
    b"\x1bV": 3,
    b"\x1b{": 3,
    b"\x1bJ": 3,
    b"\x1d!": 3,
    b"\x1dB": 3,
    b"\x1db": 3,
    b"\x1dL": 4,
    b"\x1dW": 4,
    b"\x1dH": 3,
    b"\x1df": 3,
    b"\x1dh": 3,
    b"\x1dw": 3,
    b"\x1c!": 3,
    b"\x1c-": 3,
    b"\x1cW": 3,
    b"\x1cS": 4,
    b"\x1cC": 3,
    b"\x10\x04": 3,
    b"\x1d|": 3,
    b"\x1b=": 3,
}


class _Parser:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.job = DecodedJob()
        self.line = bytearray()
        self.chinese = False
        self.line_has_content = False

    def flush(self, force: bool = True) -> None:
        if self.line or force:
            self.job.lines.append(bytes(self.line).decode("gb18030", errors="replace"))
        self.line.clear()

    def run(self) -> DecodedJob:
        data, n = self.data, len(self.data)
        while self.pos < n:
            b = data[self.pos]
            two = data[self.pos : self.pos + 2]
            if b == 0x0A:
                self.flush()
                self.pos += 1
            elif b == 0x0D:
                self.pos += 1
            elif two == b"\x1c&":
                self.chinese = True
                self.pos += 2
            elif two == b"\x1c.":
                self.chinese = False
                self.pos += 2
            elif two == b"\x1bd":
                self.flush(force=False)
                self.job.lines.extend([""] * max(data[self.pos + 2] - 1, 0) if self.pos + 2 < n else [])
                self.pos += 3
            elif two == b"\x1dV":
                self._cut()
            elif two == b"\x1d(":
                self._gs_paren()
            elif data[self.pos : self.pos + 3] == b"\x1dv0":
                self._raster()
            elif two in _FIXED:
                if two == b"\x1b@":
                    self.job.inits += 1
                elif two == b"\x10\x04":
                    self.job.status_queries += 1
                self.pos += _FIXED[two]
            elif b in (0x1B, 0x1C, 0x1D, 0x10) and not self.chinese:
                self.job.unknown.append(two.hex())
                self.pos += 2
            else:
                self.line.append(b)
                self.pos += 1
        if self.line:
            self.flush()
        return self.job

    def _cut(self) -> None:
        m = self.data[self.pos + 2] if self.pos + 2 < len(self.data) else 0
        self.pos += 4 if m in (65, 66, 97, 98, 103, 104) else 3
        self.flush(force=False)
        self.job.cuts += 1

    def _gs_paren(self) -> None:
        data = self.data
        fn = data[self.pos + 2 : self.pos + 3]
        length = data[self.pos + 3] + 256 * data[self.pos + 4] if self.pos + 4 < len(data) else 0
        body = data[self.pos + 5 : self.pos + 5 + length]
        if fn == b"k" and body[:3] == b"1P0":
            self.job.qr_codes.append(body[3:].decode("utf-8", errors="replace"))
        elif fn == b"L" and body[:2] == b"0p":
            self.job.raster_images += 1
            self.job.raster_bytes += len(body)
        self.pos += 5 + length

    def _raster(self) -> None:
        data = self.data
        header = data[self.pos + 4 : self.pos + 8]
        if len(header) < 4:
            self.pos = len(data)
            return
        width_bytes = header[0] + 256 * header[1]
        height = header[2] + 256 * header[3]
        self.pos += 8 + width_bytes * height
        self.job.raster_images += 1
        self.job.raster_bytes += width_bytes * height
        if self.line:
            self.flush()
        self.job.lines.append(RASTER_PLACEHOLDER)


def decode(data: bytes) -> DecodedJob:
    """Parse one job's bytes. Never raises on odd input; unknown commands are listed in ``unknown``."""
    return _Parser(bytes(data)).run()


decode_escpos = decode  # the name used by the CLI and UI tests
