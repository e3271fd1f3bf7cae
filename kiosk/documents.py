"""Printer-independent document model of certificates and receipts, and CJK text layout helpers.

A :class:`Document` is a title plus a list of blocks. The ESC/POS encoder, the PNG preview and the
journal (as JSON) all work from this one model, so what the resident sees on screen is what the
paper shows. Layout is done in *display columns*: an ASCII character is one column, a Chinese or
full-width character two (``unicodedata.east_asian_width`` W/F), which is exactly how a thermal
printer's 12×24 ASCII font and 24×24 Chinese font share a line.
"""

from __future__ import annotations

import base64
import logging
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

logger = logging.getLogger(__name__)

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Heading:
    """A centred, bold, double-size line (the document title or a section title)."""

    text: str
    level: int = 1  # 1 = double width and height, 2 = bold normal size


@dataclass(frozen=True)
class Text:
    """A paragraph; wrapped by display width. ``size`` is the character magnification (1 or 2)."""

    text: str
    align: Align = "left"
    bold: bool = False
    size: int = 1


@dataclass(frozen=True)
class KeyValue:
    """Label/value rows: the label is padded to the widest label, long values wrap under themselves."""

    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class Column:
    title: str
    width_weight: float = 1.0
    align: Align = "left"


@dataclass(frozen=True)
class Table:
    """Columns share the line by weight; a long cell breaks onto extra lines inside its column."""

    columns: list[Column]
    rows: list[list[str]]
    totals_row: list[str] | None = None


@dataclass(frozen=True)
class Divider:
    char: str = "-"


@dataclass(frozen=True)
class QRCode:
    """A QR code; ``data`` must be ASCII (a URL or code) so every scanner decodes it."""

    data: str
    size: int = 6  # module size in dots for native printing

    def __post_init__(self) -> None:
        if not self.data.isascii():
            raise ValueError("QR payloads must be ASCII (cv2 decodes UTF-8 QR as '')")


@dataclass(frozen=True)
class Image:
    """A logo or seal, as PNG bytes; the only blocks printed as raster."""

    kind: Literal["logo", "seal"]
    png_bytes: bytes


@dataclass(frozen=True)
class Spacer:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    """Feed and cut the paper here (the encoder also cuts at the end of every document)."""


Block = Heading | Text | KeyValue | Table | Divider | QRCode | Image | Spacer | Cut
_BLOCK_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (Heading, Text, KeyValue, Table, Divider, QRCode, Image, Spacer, Cut)
}


@dataclass
class Document:
    """A printable document: its title (for logs and the journal) and its blocks in order."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    width_hint: int | None = None  # preferred paper width in dots, None = the printer's

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (images base64) so the journal can keep a document for a reprint."""
        blocks = []
        for block in self.blocks:
            item: dict[str, Any] = {"type": type(block).__name__}
            for name in block.__dataclass_fields__:
                value = getattr(block, name)
                if isinstance(value, bytes):
                    value = base64.b64encode(value).decode("ascii")
                elif name == "columns":
                    value = [vars(col) for col in value]
                elif name in ("rows", "totals_row") and value is not None:
                    value = [list(row) if isinstance(row, (list, tuple)) else row for row in value]
                item[name] = value
            blocks.append(item)
        return {"title": self.title, "width_hint": self.width_hint, "blocks": blocks}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        """Inverse of :meth:`to_json`; raises ValueError on an unknown block type."""
        blocks: list[Block] = []
        for item in data.get("blocks", []):
            kind = _BLOCK_TYPES.get(item.get("type", ""))
            if kind is None:
                raise ValueError(f"unknown block type {item.get('type')!r}")
            args = {k: v for k, v in item.items() if k != "type"}
            if kind is Image:
                args["png_bytes"] = base64.b64decode(args["png_bytes"])
            elif kind is Table:
                args["columns"] = [Column(**col) for col in args["columns"]]
            elif kind is KeyValue:
                args["rows"] = [tuple(row) for row in args["rows"]]
            blocks.append(kind(**args))
        return cls(title=data.get("title", ""), blocks=blocks, width_hint=data.get("width_hint"))


# ----------------------------------------------------------------------------- display width
def char_width(ch: str) -> int:
    """Display columns of one character: 2 for wide/full-width (CJK, ，：￥), 0 for combining, else 1.

    East-Asian *ambiguous* characters (· — “ é) count 2: on a Chinese printer they come from the
    double-byte GB font, 24 dots wide, like any Chinese character.
    """
    if ch.isascii():
        return 1
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def display_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def _is_breakable_ascii(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "._-/:@%+*#?=&~,")


def wrap(text: str, width: int) -> list[str]:
    """Wrap ``text`` to lines of at most ``width`` display columns.

    CJK text may break between any two characters; runs of ASCII letters/digits (numbers, serials,
    URLs) are kept whole when they fit on a line. Explicit newlines are kept. Never returns [].
    """
    width = max(width, 2)
    out: list[str] = []
    for paragraph in text.split("\n"):
        tokens: list[str] = []
        for ch in paragraph:
            if tokens and _is_breakable_ascii(ch) and _is_breakable_ascii(tokens[-1][-1]):
                tokens[-1] += ch
            else:
                tokens.append(ch)
        line, used = "", 0
        for token in tokens:
            w = display_width(token)
            if used + w > width and line:
                out.append(line.rstrip())
                line, used = "", 0
                if token == " ":
                    continue
            while w > width:  # a single token longer than a line: hard-break it
                head, rest = _split_at_width(token, width - used)
                out.append(line + head)
                line, used, token = "", 0, rest
                w = display_width(token)
            line += token
            used += w
        out.append(line.rstrip())
    return out


def _split_at_width(text: str, width: int) -> tuple[str, str]:
    used = 0
    for index, ch in enumerate(text):
        if used + char_width(ch) > width:
            return text[:index], text[index:]
        used += char_width(ch)
    return text, ""


def pad(text: str, width: int, align: Align = "left") -> str:
    """Pad ``text`` with spaces to exactly ``width`` display columns (truncating if longer)."""
    if display_width(text) > width:
        text = _split_at_width(text, width)[0]
    gap = width - display_width(text)
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


# ----------------------------------------------------------------------------- block layout
def layout_key_values(rows: list[tuple[str, str]], width: int) -> list[str]:
    """Lines of ``label：value`` with labels padded to the widest one (capped at half the line)."""
    if not rows:
        return []
    label_w = min(max(display_width(label) for label, _ in rows) + 2, width // 2)
    lines: list[str] = []
    for label, value in rows:
        head = pad(label + "：" if label else "", label_w)
        value_lines = wrap(str(value), width - label_w)
        lines.append(head + value_lines[0])
        lines.extend(" " * label_w + more for more in value_lines[1:])
    return [line.rstrip() for line in lines]


def _longest_token(text: str) -> int:
    """Width of the longest piece ``wrap`` would rather not break (a number, date, code)."""
    longest, run = 0, 0
    for ch in text:
        if _is_breakable_ascii(ch):
            run += 1
        else:
            longest, run = max(longest, run), 0
            longest = max(longest, char_width(ch))
    return max(longest, run)


def column_widths(table: Table, width: int) -> list[int] | None:
    """Widths for the columns, or None when the table cannot fit without breaking numbers.

    Columns start at their natural width (widest cell); while the line is too long the column
    that is widest relative to its weight gives up a column, never going below its longest
    number/date/code, so figures never break inside. Spare width goes to the columns by weight.
    """
    n = len(table.columns)
    if n == 0:
        return []
    usable = width - (n - 1)
    cells = [[col.title for col in table.columns], *[list(r) for r in table.rows]]
    if table.totals_row is not None:
        cells.append(list(table.totals_row))
    texts = [[str(row[i]) if i < len(row) and row[i] is not None else "" for row in cells] for i in range(n)]
    natural = [max(2, max(display_width(t) for t in col)) for col in texts]
    minimum = [
        max(2, max(_longest_token(t) for t in col[1:] or [""]), min(4, natural[i])) for i, col in enumerate(texts)
    ]
    if sum(minimum) > usable:
        return None
    widths = list(natural)
    weights = [max(col.width_weight, 0.01) for col in table.columns]
    while sum(widths) > usable:
        candidates = [i for i in range(n) if widths[i] > minimum[i]]
        shrink = max(candidates, key=lambda i: widths[i] / weights[i])
        widths[shrink] -= 1
    spare = usable - sum(widths)
    total_weight = sum(weights)
    for i in range(n):
        widths[i] += int(spare * weights[i] / total_weight)
    widths[-1] += usable - sum(widths)
    return widths


def layout_table(table: Table, width: int) -> list[str]:
    """The table as text lines: header, divider, rows (long cells wrapped within their column), totals.

    A table too wide for the paper even with every column at its minimum (58 mm paper, many
    amount columns) is laid out as stacked records instead: the first two cells on one line,
    then "title value" pairs, so no figure is ever split across lines.
    """
    widths = column_widths(table, width)
    if widths is None:
        return _stacked_table(table, width)

    def render_row(cells: list[str]) -> list[str]:
        cells = [str(c) if c is not None else "" for c in cells] + [""] * (len(widths) - len(cells))
        wrapped = [wrap(cell, w) for cell, w in zip(cells, widths, strict=False)]
        height = max(len(w) for w in wrapped)
        lines = []
        for i in range(height):
            parts = [
                pad(w_lines[i] if i < len(w_lines) else "", w, col.align)
                for w_lines, w, col in zip(wrapped, widths, table.columns, strict=False)
            ]
            lines.append(" ".join(parts).rstrip())
        return lines

    lines = render_row([col.title for col in table.columns])
    lines.append("-" * width)
    for row in table.rows:
        lines.extend(render_row(list(row)))
    if table.totals_row is not None:
        lines.append("-" * width)
        lines.extend(render_row(list(table.totals_row)))
    return lines


def _stacked_table(table: Table, width: int) -> list[str]:
    lead = min(2, len(table.columns))

    def record(cells: list[str]) -> list[str]:
        cells = [str(c) if c is not None else "" for c in cells] + [""] * (len(table.columns) - len(cells))
        out = wrap(" ".join(c for c in cells[:lead] if c), width)
        line = "  "
        for col, value in zip(table.columns[lead:], cells[lead:], strict=False):
            if not value:
                continue
            pair = f"{col.title} {value}"
            if display_width(line) + display_width(pair) + 1 > width and line.strip():
                out.append(line.rstrip())
                line = "  "
            if display_width("  " + pair) > width:
                out.extend("  " + piece for piece in wrap(pair, width - 2))
                continue
            line += pair + " "
        if line.strip():
            out.append(line.rstrip())
        return out

    lines: list[str] = []
    for row in table.rows:
        lines.extend(record(list(row)))
    if table.totals_row is not None:
        lines.append("-" * width)
        lines.extend(record(list(table.totals_row)))
    return lines


def columns_for(paper_width_dots: int) -> int:
    """Characters per line in the printer's 12×24 font A: 48 on 80 mm (576 dots), 32 on 58 mm (384)."""
    return max(paper_width_dots // 12, 16)


# ----------------------------------------------------------------------------- document layout
@dataclass(frozen=True)
class Line:
    """One printed text line, already wrapped to the paper: what the encoder and the preview draw."""

    text: str
    align: Align = "left"
    bold: bool = False
    size: int = 1


LaidOut = Line | QRCode | Image | Spacer | Cut


def layout(doc: Document, columns: int) -> list[LaidOut]:
    """Turn the blocks into printable lines for a paper ``columns`` display columns wide.

    The ESC/POS encoder and the PNG preview both draw this list, so they cannot disagree.
    """
    out: list[LaidOut] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            size = 2 if block.level == 1 else 1
            out.extend(Line(text, "center", True, size) for text in wrap(block.text, columns // size))
        elif isinstance(block, Text):
            size = min(max(int(block.size), 1), 2)
            out.extend(Line(text, block.align, block.bold, size) for text in wrap(block.text, columns // size))
        elif isinstance(block, KeyValue):
            out.extend(Line(text) for text in layout_key_values(list(block.rows), columns))
        elif isinstance(block, Table):
            out.extend(Line(text) for text in layout_table(block, columns))
        elif isinstance(block, Divider):
            ch = block.char if len(block.char) == 1 and char_width(block.char) == 1 else "-"
            out.append(Line(ch * columns))
        elif isinstance(block, (QRCode, Image, Spacer, Cut)):
            out.append(block)
        else:
            logger.warning("unknown block %s skipped", type(block).__name__)
    return out
