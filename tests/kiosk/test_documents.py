"""Document model, CJK width/wrapping, table layout, and the certificate/receipt layouts."""

from __future__ import annotations

import json

import pytest

from common.ssn import mask_ssn
from kiosk.documents import (
    Column,
    Cut,
    Divider,
    Document,
    Heading,
    Image,
    KeyValue,
    Line,
    QRCode,
    Spacer,
    Table,
    Text,
    char_width,
    columns_for,
    display_width,
    layout,
    layout_table,
    pad,
    wrap,
)
from kiosk.layouts import build_certificate_document, build_receipt_document, reprint_document
from tests.drivers.printer.samples import SSN, VERIFY_URL, make_certificate, make_receipt


def lines_of(doc: Document, columns: int = 48) -> list[str]:
    return [item.text for item in layout(doc, columns) if isinstance(item, Line)]


def test_display_width() -> None:
    assert [char_width(c) for c in "A中，￥·"] == [1, 2, 2, 2, 2]
    assert display_width("社保No.1") == 8
    assert columns_for(576) == 48 and columns_for(384) == 32


@pytest.mark.parametrize("width", [32, 48])
def test_wrap_by_display_width(width: int) -> None:
    text = "东莞市社会保险基金管理中心出具的参保证明，编号 DG2026000123，可扫码核验。" * 3
    lines = wrap(text, width)
    assert all(display_width(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert any("DG2026000123" in line for line in lines)  # a code is kept whole when it fits


def test_wrap_breaks_overlong_token_and_keeps_newlines() -> None:
    assert wrap("x" * 10, 4) == ["xxxx", "xxxx", "xx"]
    assert wrap("甲\n乙", 10) == ["甲", "乙"]
    assert wrap("", 10) == [""]


def test_pad_and_align() -> None:
    assert pad("中", 4, "right") == "  中"
    assert pad("中", 5, "center") == " 中  "
    assert display_width(pad("中文很长", 5)) <= 5


@pytest.mark.parametrize("width", [32, 48])
def test_table_breaks_long_cells_inside_their_column(width: int) -> None:
    table = Table(
        [Column("险种", 1), Column("单位", 2), Column("金额", 1, "right")],
        [["养老", "东莞市某某电子科技有限公司（南城分公司）", "1,234.56"]],
        ["合计", "", "1,234.56"],
    )
    lines = layout_table(table, width)
    assert all(display_width(line) <= width for line in lines)
    assert lines[2].startswith("养老") and lines[2].endswith("1,234.56")
    assert sum("1,234.56" in line for line in lines) == 2  # figures never split
    unit_col = lines[2].index("东")
    assert all(line[unit_col - 1] == " " for line in lines[3:4])  # continuation stays in its column


def test_too_wide_table_is_stacked_not_broken_mid_number() -> None:
    cols = [Column(t, 1, "right") for t in ("年月", "险种", "缴费基数", "个人缴费", "单位缴费")]
    lines = layout_table(Table(cols, [["2025-01", "职工养老", "15,284.00", "1,422.72", "2,844.48"]]), 32)
    assert lines[0] == "2025-01 职工养老"
    for figure in ("15,284.00", "1,422.72", "2,844.48"):
        assert any(figure in line for line in lines)
    assert all(display_width(line) <= 32 for line in lines)


def test_document_json_round_trip() -> None:
    doc = Document(
        "t",
        [
            Heading("标题"),
            Text("正文", "right", True, 2),
            KeyValue([("姓名", "张三")]),
            Table([Column("a", 2, "right")], [["1"]], ["2"]),
            Divider("="),
            QRCode("https://a"),
            Image("seal", b"\x89PNG"),
            Spacer(2),
            Cut(),
        ],
        width_hint=384,
    )
    again = Document.from_json(json.loads(json.dumps(doc.to_json(), ensure_ascii=False)))
    assert again == doc


def test_layout_key_values_align_labels() -> None:
    lines = lines_of(Document("t", [KeyValue([("姓名", "张三"), ("社会保障号码", SSN)])]))
    assert display_width(lines[0][: lines[0].index("张")]) == display_width(lines[1][: lines[1].index(SSN[0])])


# --------------------------------------------------------------------------- layouts
@pytest.mark.parametrize(
    "kind,title",
    [("insured", "社会保险参保证明"), ("payment", "社会保险缴费凭证"), ("rights", "社会保险个人权益记录单")],
)
def test_every_certificate_shows_serial_time_terminal_code_and_qr(kind: str, title: str) -> None:
    doc = build_certificate_document(make_certificate(kind))
    text = "\n".join(lines_of(doc))
    assert title in text
    for expected in ("DG2026000123", "2026-11-24 09:30:15", "DG-NC-0007", "7K4QX2"):
        assert expected in text
    assert [b.data for b in doc.blocks if isinstance(b, QRCode)] == [VERIFY_URL]
    assert "REPRINT" not in text


def test_ssn_whole_only_where_needed() -> None:
    assert SSN in "\n".join(lines_of(build_certificate_document(make_certificate("insured"))))
    assert SSN in "\n".join(lines_of(build_certificate_document(make_certificate("payment"))))
    rights = "\n".join(lines_of(build_certificate_document(make_certificate("rights"))))
    assert SSN not in rights and mask_ssn(SSN) in rights
    receipt = "\n".join(lines_of(build_receipt_document(make_receipt())))
    assert SSN not in receipt and "张三丰" not in receipt and "张**" in receipt


def test_payment_has_every_month_and_totals() -> None:
    lines = lines_of(build_certificate_document(make_certificate("payment", months=12)))
    assert sum(1 for line in lines if line.startswith("2025-")) == 12
    assert any(line.startswith("合计") and "5,072.64" in line for line in lines)
    assert any("2025-12*" in line for line in lines)  # the unpaid month is flagged
    assert any("尚未足额到账" in line for line in lines)


def test_insured_lists_enrolments() -> None:
    text = "\n".join(lines_of(build_certificate_document(make_certificate("insured")), 48))
    assert "正常参保" in text and "暂停缴费" in text and "2008-07-01" in text


def test_reprint_is_marked_clearly() -> None:
    doc = build_certificate_document(make_certificate("payment", reprint=True))
    lines = lines_of(doc)
    assert lines[0] == "补打 / REPRINT" and lines[-1] == "补打 / REPRINT"


def test_reprint_from_journal_json() -> None:
    cert = make_certificate("insured")
    doc = reprint_document(json.dumps(cert, ensure_ascii=False))
    assert lines_of(doc)[0] == "补打 / REPRINT" and "DG2026000123" in "\n".join(lines_of(doc))
    plain = build_receipt_document(make_receipt())
    again = reprint_document(json.dumps(plain.to_json(), ensure_ascii=False))
    assert lines_of(again)[0] == "补打 / REPRINT" and lines_of(again)[1:-1] == lines_of(plain)


@pytest.mark.parametrize(
    "cert",
    [
        {},
        {"kind": "payment"},
        {"kind": "insured", "content": None},
        {"kind": "weird", "content": {"rows": [None, {"period": "2025-01"}], "enrolments": "x", "totals": []}},
        {
            "kind": "payment",
            "verify_url": "https://例.cn/x",
            "reprint": True,
            "content": {"person": {"ssn": None, "name": 5}, "rows": [{"base": "abc"}]},
        },
    ],
)
def test_builders_never_crash_on_missing_keys(cert: dict) -> None:
    doc = build_certificate_document(cert)
    assert doc.blocks and lines_of(doc, 32)
    assert all(not isinstance(b, QRCode) for b in doc.blocks) or cert.get("verify_url", "").isascii()


def test_receipt_shows_number_submission_and_next_steps() -> None:
    text = "\n".join(lines_of(build_receipt_document(make_receipt()), 32))
    for expected in (
        "业务受理回执",
        "SQ20261124000042",
        "社保卡挂失",
        "临时挂失",
        "后续办理",
        "1. 携带身份证",
        "12333",
    ):
        assert expected in text
    assert build_receipt_document({}).blocks


def test_english_labels() -> None:
    text = "\n".join(lines_of(build_certificate_document(make_certificate("payment"), lang="en")))
    assert "Serial" in text and "Total" in text
