"""Exact-bytes tests of the ESC/POS encoder, cross-checked against python-escpos Dummy."""

from __future__ import annotations

import io

import pytest
from escpos.printer import Dummy
from PIL import Image as PILImage

from drivers.printer.decode import RASTER_PLACEHOLDER, decode
from drivers.printer.encoder import EscPosEncoder
from kiosk.documents import Cut, Divider, Document, Heading, Image, QRCode, Spacer, Text

INIT, ON, OFF, CUT = b"\x1b@", b"\x1c&", b"\x1c.", b"\x1bd\x04\x1dV\x00"


def encode(blocks: list, **kwargs: object) -> bytes:
    return EscPosEncoder(**kwargs).encode(Document("t", blocks))  # type: ignore[arg-type]


def test_ascii_line_is_plain_text() -> None:
    assert encode([Text("No. 42")]) == INIT + b"No. 42\n" + CUT


def test_chinese_line_goes_in_chinese_mode_as_gb18030() -> None:
    assert encode([Text("参保证明")]) == INIT + ON + "参保证明".encode("gb18030") + OFF + b"\n" + CUT


def test_mixed_line_switches_modes_per_run() -> None:
    expected = INIT + ON + "姓名".encode("gbk") + OFF + b"A1" + ON + "张".encode("gbk") + OFF + b"\n" + CUT
    assert encode([Text("姓名A1张")], encoding="gbk") == expected


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_full_width_punctuation_is_encoded_never_question_marks(encoding: str) -> None:
    text = "（），：；「」￥"
    data = encode([Text(text)], encoding=encoding)
    assert data == INIT + ON + bytes.fromhex("a3a8a3a9a3aca3baa3bba1b8a1b9a3a4") + OFF + b"\n" + CUT
    assert b"?" not in data


def test_python_escpos_text_path_would_have_lost_them() -> None:
    """Why we encode ourselves: python-escpos prints full-width punctuation as '?'."""
    dummy = Dummy()
    dummy.text("（），：")
    assert b"?" in dummy.output


def test_rare_character_gb18030_uses_native_bytes() -> None:
    # 䶮 (CJK Ext A) is FE9F in GB18030; 𠀀 (Ext B) a 4-byte sequence.
    data = encode([Text("䶮𠀀")], encoding="gb18030")
    assert data == INIT + ON + b"\xfe\x9f" + b"\x95\x32\x82\x36" + OFF + b"\n" + CUT
    assert decode(data).lines[0] == "䶮𠀀"


@pytest.mark.parametrize("char", ["䶮", "𠀀"])
def test_rare_character_outside_gbk_becomes_raster_line(char: str) -> None:
    data = encode([Text(f"姓名：{char}")], encoding="gbk")
    job = decode(data)
    assert "?" not in job.text
    assert ON not in data  # the whole line is one image, so its characters stay in place
    assert job.raster_images == 1 and job.lines[0] == RASTER_PLACEHOLDER
    # GS v 0, normal density, 576 dots = 72 bytes wide, one 24-dot line high
    assert data[len(INIT) : len(INIT) + 8] == b"\x1dv0\x00" + bytes([72, 0, 24, 0])


def test_raster_glyph_is_drawn_not_blank() -> None:
    data = encode([Text("𠀀")], encoding="gbk", paper_width_dots=384)
    raster = data[len(INIT) + 8 : len(INIT) + 8 + 48 * 24]
    assert any(raster), "the glyph must put ink on paper"


def test_supplementary_raster_option_for_fonts_without_plane_2() -> None:
    data = encode([Text("𠀀")], encoding="gb18030", raster_supplementary=True)
    assert decode(data).raster_images == 1


def test_styles_are_sent_only_when_they_change() -> None:
    data = encode([Heading("标题"), Text("a", align="right"), Text("b", align="right", bold=True)])
    expected = (
        INIT
        + b"\x1ba\x01\x1bE\x01\x1d!\x11"
        + ON
        + "标题".encode("gb18030")
        + OFF
        + b"\n"
        + b"\x1ba\x02\x1bE\x00\x1d!\x00"
        + b"a\n"
        + b"\x1bE\x01"
        + b"b\n"
        + CUT
    )
    assert data == expected


def test_native_qr_matches_python_escpos_model2_ecc_m() -> None:
    url = "https://renshe.example.cn/v/X1"
    dummy = Dummy()
    dummy.qr(url, ec=1, size=6, native=True)
    data = encode([QRCode(url)])
    assert data == INIT + b"\x1ba\x01" + dummy.output + b"\n" + CUT
    assert b"\x1d(k\x04\x001A2\x00" in data  # model 2
    assert b"\x1d(k\x03\x001E1" in data  # error correction M
    assert decode(data).qr_codes == [url] and decode(data).raster_images == 0


def test_raster_qr_mode_sends_an_image() -> None:
    job = decode(encode([QRCode("https://x.example/v")], qr_mode="raster"))
    assert job.qr_codes == [] and job.raster_images == 1


def test_qr_refuses_non_ascii() -> None:
    with pytest.raises(ValueError):
        QRCode("https://例子.cn")


def test_seal_image_is_raster_and_scaled() -> None:
    picture = PILImage.new("RGBA", (800, 800), (255, 0, 0, 255))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    data = encode([Image("seal", buffer.getvalue())], paper_width_dots=384)
    job = decode(data)
    assert job.raster_images == 1
    start = data.index(b"\x1dv0")
    width_bytes, height = data[start + 4] + 256 * data[start + 5], data[start + 6] + 256 * data[start + 7]
    assert width_bytes * 8 <= 384 and height <= 192  # scaled to half the paper, centred on it


def test_divider_spacer_cut() -> None:
    data = encode([Divider(), Spacer(2), Cut()], paper_width_dots=384)
    assert data == INIT + b"-" * 32 + b"\n" + b"\n\n" + CUT  # an explicit final Cut is not doubled


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        EscPosEncoder(paper_width_dots=512)
    with pytest.raises(ValueError):
        EscPosEncoder(encoding="big5")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        EscPosEncoder(qr_mode="svg")  # type: ignore[arg-type]


@pytest.mark.parametrize("width", [384, 576])
@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
@pytest.mark.parametrize("kind", ["insured", "payment", "rights"])
def test_certificate_decodes_to_exactly_its_layout(width: int, encoding: str, kind: str) -> None:
    from kiosk.documents import Line, columns_for, layout
    from kiosk.layouts import build_certificate_document
    from tests.drivers.printer.samples import VERIFY_URL, make_certificate

    doc = build_certificate_document(make_certificate(kind, reprint=True))
    job = decode(EscPosEncoder(width, encoding).encode(doc))  # type: ignore[arg-type]
    expected = [item.text for item in layout(doc, columns_for(width)) if isinstance(item, Line)]
    assert [line for line in job.lines if line] == [line for line in expected if line]
    assert job.qr_codes == [VERIFY_URL] and job.raster_images == 0 and job.unknown == []
