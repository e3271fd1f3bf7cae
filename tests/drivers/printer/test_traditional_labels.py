"""Printed labels in every language go out as printer text, 繁體 included (GB18030 and GBK hold them)."""

from __future__ import annotations

import pytest

from drivers.printer.decode import decode
from drivers.printer.encoder import EscPosEncoder
from kiosk.documents import Line, columns_for, layout
from kiosk.i18n import LANGUAGES, po_path
from kiosk.i18n_build import read_catalogue
from kiosk.layouts import build_certificate_document, build_receipt_document
from tests.drivers.printer.samples import make_certificate, make_receipt


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_document_label_has_native_printer_bytes(encoding: str, lang: str) -> None:
    encoder = EscPosEncoder(576, encoding)  # type: ignore[arg-type]
    labels = {m.id: m.string for m in read_catalogue(po_path(lang)) if m.id and m.id.startswith("doc.")}
    assert labels
    for key, text in labels.items():
        assert not encoder.needs_raster(text), f"{lang} {key}: {text!r} would print as a picture"


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
@pytest.mark.parametrize("kind", ["insured", "payment", "rights"])
def test_a_traditional_chinese_certificate_prints_as_text(encoding: str, kind: str) -> None:
    doc = build_certificate_document(make_certificate(kind, reprint=True), "zh_TW")
    job = decode(EscPosEncoder(576, encoding).encode(doc))  # type: ignore[arg-type]
    expected = [item.text for item in layout(doc, columns_for(576)) if isinstance(item, Line)]
    assert [line for line in job.lines if line] == [line for line in expected if line]
    assert job.raster_images == 0 and job.unknown == []
    assert "補打 / REPRINT" in job.lines and any(line.startswith("證明編號") for line in job.lines)


def test_a_traditional_chinese_receipt_prints_as_text() -> None:
    doc = build_receipt_document(make_receipt(), "zh_TW")
    job = decode(EscPosEncoder(576, "gbk").encode(doc))
    assert job.raster_images == 0 and job.unknown == []
    assert "業務受理回執" in "\n".join(job.lines)
