"""PNG preview of a document: what the paper will look like, drawn from the same layout as the encoder.

Text sits on the printer's 12×24-dot cell grid with the CJK font; QR codes are drawn with the
``qrcode`` package at the module size the printer would use; logos and seals are the real images.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import qrcode
from PIL import Image as PILImage
from PIL import ImageDraw

from drivers.printer.fonts import DOT_COLUMN, LINE_DOTS, draw_cells, find_cjk_font
from kiosk.documents import Cut, Document, Image, Line, QRCode, Spacer, columns_for, display_width, layout

logger = logging.getLogger(__name__)

MARGIN = 8  # dots of white above and below; the width is exactly the printable width
LINE_GAP = 6  # ESC/POS default line pitch is 30 dots for 24-dot text
LINE_PITCH = LINE_DOTS + LINE_GAP


def _qr_image(data: str, module: int) -> PILImage.Image:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module, border=4
    )  # the 4-module quiet zone of ISO 18004
    code.add_data(data)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


def _picture(block: Image, width_dots: int) -> PILImage.Image:
    picture = PILImage.open(io.BytesIO(block.png_bytes))
    picture.load()
    picture = picture.convert("RGBA")
    background = PILImage.new("RGBA", picture.size, (255, 255, 255, 255))
    picture = PILImage.alpha_composite(background, picture).convert("L")
    limit = width_dots // 2 if block.kind == "seal" else width_dots
    if picture.width > limit:
        picture = picture.resize((limit, max(1, picture.height * limit // picture.width)))
    return picture.point(lambda v: 0 if v < 128 else 255)


def render_preview(doc: Document, width_dots: int = 576, font_path: str | None = None) -> PILImage.Image:
    """A greyscale image, exactly ``width_dots`` wide, of the printed document."""
    font = find_cjk_font(font_path)
    # First pass: measure (images are made here once), second pass: draw.
    ops: list[tuple[str, object, int]] = []  # (kind, payload, height in dots)
    for item in layout(doc, columns_for(width_dots)):
        if isinstance(item, Line):
            ops.append(("line", item, LINE_DOTS * item.size + LINE_GAP))
        elif isinstance(item, QRCode):
            image = _qr_image(item.data, max(1, min(item.size, 16 if width_dots >= 576 else 5)))
            ops.append(("image", image, image.height + LINE_GAP))
        elif isinstance(item, Image):
            try:
                image = _picture(item, width_dots)
            except (OSError, ValueError) as exc:
                logger.warning("preview: %s image unreadable: %s", item.kind, exc)
                continue
            ops.append(("image", image, image.height))
        elif isinstance(item, Spacer):
            ops.append(("space", None, LINE_PITCH * max(item.lines, 1)))
        elif isinstance(item, Cut):
            ops.append(("cut", None, LINE_PITCH * 4))
    if not doc.blocks or not isinstance(doc.blocks[-1], Cut):
        ops.append(("cut", None, LINE_PITCH * 4))
    page = PILImage.new("L", (width_dots, sum(op[2] for op in ops) + 2 * MARGIN), 255)
    draw = ImageDraw.Draw(page)
    y = MARGIN
    for kind, payload, height in ops:
        if isinstance(payload, Line):
            used = display_width(payload.text) * DOT_COLUMN * payload.size
            x = {"left": 0, "right": width_dots - used}.get(payload.align, (width_dots - used) // 2)
            draw_cells(draw, max(x, 0), y, payload.text, font, payload.size, payload.bold)
        elif isinstance(payload, PILImage.Image):
            page.paste(payload, (max((width_dots - payload.width) // 2, 0), y))
        elif kind == "cut":
            for x in range(0, page.width, 12):  # a dashed tear line where the cutter cuts
                draw.line((x, y + height // 2, x + 6, y + height // 2), fill=128)
        y += height
    return page


def render_preview_png(
    doc: Document, path: str | Path | None = None, width_dots: int = 576, font_path: str | None = None
) -> bytes:
    """PNG bytes of the preview; also written to ``path`` when given."""
    buffer = io.BytesIO()
    render_preview(doc, width_dots, font_path).save(buffer, format="PNG", optimize=True)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data
