"""PNG preview: rendered from the same layout as the bytes; its QR decodes to the verification URL."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from drivers.printer import fonts
from drivers.printer.fonts import FontNotFound, find_cjk_font, render_line_image
from drivers.printer.preview import render_preview, render_preview_png
from kiosk.documents import Document, Text
from kiosk.layouts import build_certificate_document
from tests.drivers.printer.samples import VERIFY_URL, make_certificate


@pytest.mark.parametrize("width", [384, 576])
def test_preview_renders_certificate_with_readable_qr(width: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    doc = build_certificate_document(make_certificate("payment", months=12))
    path = tmp_path / "preview.png"
    data = render_preview_png(doc, path, width_dots=width)
    assert path.read_bytes() == data and data.startswith(b"\x89PNG")
    image = PILImage.open(io.BytesIO(data))
    assert image.width == width and image.height > 1000
    text, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(np.array(image.convert("L")))
    assert text == VERIFY_URL


def test_preview_has_ink_where_the_text_is() -> None:
    image = render_preview(Document("t", [Text("参保证明")]), 384)
    top = np.array(image)[8:32, 0:96]
    assert (top < 128).sum() > 100


def test_rare_glyph_uses_a_fallback_font_not_a_missing_box() -> None:
    """wqy-microhei lacks 𠀀; the fallback (fonts-hanazono) draws it; a box would equal .notdef."""
    main = find_cjk_font()
    assert fonts.font_for("𠀀", main) != main, "install fonts-hanazono for CJK Ext B glyphs"
    drawn = np.array(render_line_image("𠀀", 384, main))
    missing = np.array(render_line_image("\U0010fffd", 384, main))
    assert (drawn != missing).any()


def test_missing_font_fails_with_a_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(fonts, "CANDIDATES", (str(tmp_path / "none.ttc"),))
    monkeypatch.delenv("KIOSK_CJK_FONT", raising=False)
    with pytest.raises(FontNotFound, match="fonts-wqy-microhei"):
        find_cjk_font()
