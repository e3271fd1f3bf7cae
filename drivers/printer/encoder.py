"""ESC/POS encoding of the document model, with our own Chinese-mode text encoder.

Why not python-escpos ``text()``: its automatic encoding only recognises U+4E00–U+9FA5, sends no
``FS &`` and prints full-width punctuation (，：￥) as ``?``. Here every line is split into runs:
ASCII goes in normal mode; everything else goes between ``FS &`` (enter Chinese mode) and ``FS .``
(leave it) encoded as GB18030 or GBK. A line holding a character the printer's code page lacks
is sent as a raster image of the line drawn with the CJK font, so nothing ever prints as ``?``.
python-escpos (``Dummy``) still assembles the commands: QR, images and styles.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Literal

from PIL import Image as PILImage

from drivers.printer.fonts import find_cjk_font, render_line_image
from kiosk.documents import Cut, Document, Image, Line, QRCode, Spacer, char_width, columns_for, layout

# python-escpos reads its whole printer-profile database on import: at first use or in drivers.warm_up.
if TYPE_CHECKING:
    from escpos.printer import Dummy

logger = logging.getLogger(__name__)

ESC_INIT = b"\x1b@"
FS_CHINESE_ON = b"\x1c&"
FS_CHINESE_OFF = b"\x1c."
LF = b"\n"
ALIGN = {"left": b"\x1ba\x00", "center": b"\x1ba\x01", "right": b"\x1ba\x02"}
BOLD = {False: b"\x1bE\x00", True: b"\x1bE\x01"}
SIZE = {1: b"\x1d!\x00", 2: b"\x1d!\x11"}  # GS ! also scales the Chinese font on GB printers
CUT = b"\x1bd\x04\x1dV\x00"  # feed 4 lines past the tear bar, full cut
PROFILES = {576: "TM-T20II", 384: "POS-5890"}  # python-escpos profiles with these media widths

Encoding = Literal["gb18030", "gbk"]


class EscPosEncoder:
    """Encode a :class:`Document` to the exact bytes for an ESC/POS printer.

    ``paper_width_dots``: 576 (80 mm) or 384 (58 mm). ``encoding``: the printer's Chinese code
    page. ``qr_mode``: "native" (``GS ( k`` model 2, ECC M) or "raster". ``raster_supplementary``:
    set for GB18030 printers whose font lacks the 4-byte supplementary-plane ideographs (𠀀).
    """

    def __init__(
        self,
        paper_width_dots: int = 576,
        encoding: Encoding = "gb18030",
        qr_mode: Literal["native", "raster"] = "native",
        font_path: str | None = None,
        raster_supplementary: bool = False,
    ) -> None:
        if paper_width_dots not in PROFILES:
            raise ValueError(f"paper_width_dots must be 576 or 384, not {paper_width_dots}")
        if encoding not in ("gb18030", "gbk"):
            raise ValueError(f"encoding must be gb18030 or gbk, not {encoding}")
        if qr_mode not in ("native", "raster"):
            raise ValueError(f"qr_mode must be native or raster, not {qr_mode}")
        self.paper_width_dots = paper_width_dots
        self.encoding = encoding
        self.qr_mode = qr_mode
        self.raster_supplementary = raster_supplementary
        self.columns = columns_for(paper_width_dots)
        self._font_path = font_path
        self._cache: dict[str, bytes | None] = {}

    @property
    def font_path(self) -> str:
        """Looked up lazily: a document of ordinary characters needs no font at all."""
        if self._font_path is None:
            self._font_path = find_cjk_font()
        return self._font_path

    def native_bytes(self, ch: str) -> bytes | None:
        """The Chinese-mode bytes of one non-ASCII character, or None if it must be rasterised."""
        if ch in self._cache:
            return self._cache[ch]
        result: bytes | None = None
        if char_width(ch) == 2:  # a double-byte font cell is 24 dots: only full-width characters fit it
            try:
                data = ch.encode(self.encoding)
            except UnicodeEncodeError:
                data = b""
            if len(data) == 2 and data[0] >= 0x81:
                result = data
            elif len(data) == 4 and self.encoding == "gb18030":
                result = None if (self.raster_supplementary and ord(ch) > 0xFFFF) else data
        self._cache[ch] = result
        return result

    def needs_raster(self, text: str) -> bool:
        return any(not (ch.isascii() and ch.isprintable()) and self.native_bytes(ch) is None for ch in text)

    def encode_text(self, text: str) -> bytes:
        """Bytes of one line's characters (no style, no LF); the caller checked ``needs_raster``."""
        out = bytearray()
        chinese = False
        for ch in text:
            if ch.isascii():
                if chinese:
                    out += FS_CHINESE_OFF
                    chinese = False
                out += ch.encode("ascii")
            else:
                if not chinese:
                    out += FS_CHINESE_ON
                    chinese = True
                out += self.native_bytes(ch) or b""
        if chinese:
            out += FS_CHINESE_OFF
        return bytes(out)

    def encode(self, doc: Document) -> bytes:
        """The complete job: ``ESC @``, the blocks, feed and cut."""
        from escpos.printer import Dummy

        printer = Dummy(profile=PROFILES[self.paper_width_dots])
        printer._raw(ESC_INIT)
        style: tuple[str, bool, int] = ("left", False, 1)
        for item in layout(doc, self.columns):
            if isinstance(item, Line):
                style = self._line(printer, item, style)
            elif isinstance(item, QRCode):
                style = self._set_style(printer, ("center", False, 1), style)
                self._qr(printer, item)
            elif isinstance(item, Image):
                style = self._set_style(printer, ("center", False, 1), style)
                printer.image(self._prepare_image(item), center=True)
            elif isinstance(item, Spacer):
                printer._raw(LF * max(item.lines, 1))
            elif isinstance(item, Cut):
                printer._raw(CUT)
        if not doc.blocks or not isinstance(doc.blocks[-1], Cut):
            printer._raw(CUT)
        return bytes(printer.output)

    def _set_style(
        self, printer: Dummy, wanted: tuple[str, bool, int], current: tuple[str, bool, int]
    ) -> tuple[str, bool, int]:
        """Send only the style commands that change, which keeps jobs small."""
        if wanted[0] != current[0]:
            printer._raw(ALIGN[wanted[0]])
        if wanted[1] != current[1]:
            printer._raw(BOLD[wanted[1]])
        if wanted[2] != current[2]:
            printer._raw(SIZE[wanted[2]])
        return wanted

    def _line(self, printer: Dummy, line: Line, style: tuple[str, bool, int]) -> tuple[str, bool, int]:
        if self.needs_raster(line.text):
            # The whole line as one image keeps its characters in place; alignment is drawn in.
            logger.debug("line with characters outside %s printed as raster", self.encoding)
            style = self._set_style(printer, ("left", False, 1), style)
            printer.image(
                render_line_image(line.text, self.paper_width_dots, self.font_path, line.align, line.size, line.bold)
            )
            return style
        style = self._set_style(printer, (line.align, line.bold, line.size), style)
        printer._raw(self.encode_text(line.text) + LF)
        return style

    def _qr(self, printer: Dummy, qr: QRCode) -> None:
        size = max(1, min(qr.size, 16 if self.paper_width_dots >= 576 else 5))
        if self.qr_mode == "native":
            printer.qr(qr.data, ec=1, size=size, native=True)  # 1 = QR_ECLEVEL_M
            printer._raw(LF)
        else:
            printer.qr(qr.data, ec=1, size=size, native=False, center=True)

    def _prepare_image(self, image: Image) -> PILImage.Image:
        """Decode the PNG, flatten transparency to white and scale it to fit (seal ≤ 1/2, logo ≤ paper)."""
        picture = PILImage.open(io.BytesIO(image.png_bytes))
        picture.load()
        if picture.mode in ("RGBA", "LA", "P"):
            picture = picture.convert("RGBA")
            background = PILImage.new("RGBA", picture.size, (255, 255, 255, 255))
            picture = PILImage.alpha_composite(background, picture)
        picture = picture.convert("L")
        limit = self.paper_width_dots // 2 if image.kind == "seal" else self.paper_width_dots
        if picture.width > limit:
            picture = picture.resize((limit, max(1, picture.height * limit // picture.width)))
        return picture.point(lambda v: 0 if v < 128 else 255, mode="1")
