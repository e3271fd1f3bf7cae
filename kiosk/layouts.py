"""Builders from the server's certificate/receipt JSON to printable Documents.

Written defensively: a missing or malformed key drops its line, never the document. The
社会保障号码 is printed whole only on documents a third party must be able to match to a person
(参保证明, 缴费凭证, given to schools, employers, housing offices); everywhere else it is masked.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from common.ssn import mask_name, mask_ssn
from kiosk.documents import Column, Cut, Divider, Document, Heading, Image, KeyValue, QRCode, Spacer, Table, Text
from kiosk.i18n import DEFAULT_LANGUAGE, N_, tr
from kiosk.records import insurance_type

logger = logging.getLogger(__name__)

FULL_SSN_KINDS = frozenset({"insured", "payment"})
# The kinds of certificate the gateway issues, with the key of each one's default title.
TITLE_KEYS = {
    "insured": N_("doc.title.insured"),
    "payment": N_("doc.title.payment"),
    "rights": N_("doc.title.rights"),
}


def _s(value: Any) -> str:
    """A printable string; None and containers become ''."""
    if value is None or isinstance(value, (dict, list, tuple, set)):
        return ""
    return str(value).strip()


def _money(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return _s(value)


def _when(value: Any) -> str:
    text = _s(value)
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _gender(value: Any, lang: str) -> str:
    text = _s(value)
    key = {"1": N_("doc.male"), "M": N_("doc.male"), "2": N_("doc.female"), "F": N_("doc.female")}.get(text)
    return tr(key, lang) if key else text


def _rows(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(label, value) for label, value in pairs if value]


def _person_block(person: dict[str, Any], lang: str, full_ssn: bool, masked_name: bool = False) -> KeyValue:
    ssn = _s(person.get("ssn"))
    name = _s(person.get("name"))
    return KeyValue(
        _rows(
            [
                (tr("doc.name", lang), mask_name(name) if masked_name else name),
                (tr("doc.ssn", lang), ssn if full_ssn else mask_ssn(ssn)),
                (tr("doc.gender", lang), _gender(person.get("gender"), lang)),
                (tr("doc.region", lang), _s(person.get("region_name") or person.get("region"))),
            ]
        )
    )


def _enrolment_table(enrolments: list[Any], lang: str) -> Table | None:
    rows = [
        [
            insurance_type(e, lang),
            _s(e.get("status")),
            _s(e.get("start_date")),
            _s(e.get("unit_name")),
        ]
        for e in enrolments
        if isinstance(e, dict)
    ]
    if not rows:
        return None
    return Table(
        [
            Column(tr("doc.type", lang), 1.4),
            Column(tr("doc.status", lang), 1.2),
            Column(tr("doc.start", lang), 1.6),
            Column(tr("doc.unit_col", lang), 2.4),
        ],
        rows,
    )


def _payment_table(rows_in: list[Any], totals: dict[str, Any], lang: str) -> tuple[Table | None, bool]:
    rows, unpaid = [], False
    personal_sum, unit_sum = Decimal(0), Decimal(0)
    for row in rows_in:
        if not isinstance(row, dict):
            continue
        paid = row.get("paid", True) is not False
        unpaid = unpaid or not paid
        rows.append(
            [
                _s(row.get("period")) + ("" if paid else "*"),
                insurance_type(row, lang),
                _money(row.get("base")),
                _money(row.get("personal")),
                _money(row.get("unit")),
            ]
        )
        try:
            personal_sum += Decimal(str(row.get("personal") or 0))
            unit_sum += Decimal(str(row.get("unit") or 0))
        except (InvalidOperation, ValueError):
            logger.debug("non-numeric amount in a contribution row")
    if not rows:
        return None, False
    total_personal = totals.get("personal", personal_sum)
    total_unit = totals.get("unit", unit_sum)
    columns = [
        Column(tr("doc.month", lang), 1.5),
        Column(tr("doc.type", lang), 1.5),
        Column(tr("doc.base", lang), 1.7, "right"),
        Column(tr("doc.personal", lang), 1.5, "right"),
        Column(tr("doc.unit_paid", lang), 1.5, "right"),
    ]
    return Table(columns, rows, [tr("doc.total", lang), "", "", _money(total_personal), _money(total_unit)]), unpaid


def _footer(cert: dict[str, Any], lang: str, seal_png: bytes | None) -> list[Any]:
    blocks: list[Any] = [Divider()]
    issuer = _s(_dict(cert.get("content")).get("issuer"))
    if issuer:
        blocks.append(Text(tr("doc.issuer", lang, issuer=issuer), align="right"))
    if seal_png:
        blocks.append(Image("seal", seal_png))
    blocks.append(
        KeyValue(
            _rows(
                [
                    (tr("doc.serial", lang), _s(cert.get("serial"))),
                    (tr("doc.issued_at", lang), _when(cert.get("issued_at"))),
                    (tr("doc.terminal", lang), _s(cert.get("terminal_id"))),
                    (tr("doc.code", lang), _s(cert.get("verification_code"))),
                ]
            )
        )
    )
    url = _s(cert.get("verify_url"))
    if url and url.isascii():
        blocks += [Spacer(), QRCode(url), Text(tr("doc.verify", lang), align="center"), Text(url, align="center")]
    elif url:
        logger.warning("verification URL is not ASCII; QR code left out")
    if cert.get("reprint"):
        blocks.append(Text(tr("doc.reprint", lang), align="center", bold=True))
    return blocks


def build_certificate_document(
    cert: dict[str, Any], lang: str = DEFAULT_LANGUAGE, *, seal_png: bytes | None = None, logo_png: bytes | None = None
) -> Document:
    """The printable 参保证明 ("insured"), 缴费凭证 ("payment") or 个人权益单 ("rights").

    Unknown kinds are laid out like "rights" (everything the content holds) rather than refused.
    """
    cert = _dict(cert)
    kind = _s(cert.get("kind")) or "rights"
    content = _dict(cert.get("content"))
    title = _s(content.get("title")) or tr(TITLE_KEYS.get(kind, TITLE_KEYS["rights"]), lang)
    person = _dict(content.get("person"))
    blocks: list[Any] = []
    if logo_png:
        blocks.append(Image("logo", logo_png))
    if cert.get("reprint"):
        blocks.append(Text(tr("doc.reprint", lang), align="center", bold=True, size=2))
    blocks.append(Heading(title))
    person_rows = _person_block(person, lang, full_ssn=kind in FULL_SSN_KINDS).rows
    period = _dict(content.get("period"))
    if period.get("from") or period.get("to"):
        person_rows = [*person_rows, (tr("doc.period", lang), f"{_s(period.get('from'))} — {_s(period.get('to'))}")]
    blocks.append(KeyValue(person_rows))
    blocks.append(Divider())
    enrolments = _enrolment_table(_list(content.get("enrolments")), lang)
    totals = _dict(content.get("totals"))
    payments, unpaid = (None, False)
    if kind in ("payment", "rights") or kind not in TITLE_KEYS:
        payments, unpaid = _payment_table(_list(content.get("rows")), totals, lang)
    if enrolments is not None and kind != "payment":
        if kind != "insured":
            blocks.append(Heading(tr("doc.enrolments", lang), level=2))
        blocks.append(enrolments)
    if payments is not None:
        if kind != "payment":
            blocks.append(Heading(tr("doc.contributions", lang), level=2))
        blocks.append(payments)
        if unpaid:
            blocks.append(Text(tr("doc.unpaid", lang)))
    summary = _rows(
        [
            (tr("doc.months", lang), _s(totals.get("months"))),
            (tr("doc.balance", lang), _money(totals.get("account_balance") or totals.get("balance"))),
        ]
    )
    if summary:
        blocks.append(KeyValue(summary))
    for note in _list(content.get("notes")):
        if _s(note):
            blocks.append(Text(_s(note)))
    blocks += _footer(cert, lang, seal_png)
    return Document(title=f"{title} {_s(cert.get('serial'))}".strip(), blocks=blocks)


def build_receipt_document(receipt: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> Document:
    """The 回执 of an application: what was submitted, its number, what happens next.

    Accepts ``{number|application_no, type_name|type, submitted_at, status, terminal_id,
    person: {name, ssn}, fields: {label: value} | [[label, value]], next_steps: str | [str],
    contact, verify_url}``; the resident's name and number are always masked.
    """
    receipt = _dict(receipt)
    number = _s(receipt.get("number") or receipt.get("application_no") or receipt.get("serial"))
    title = _s(receipt.get("title")) or tr("doc.receipt", lang)
    blocks: list[Any] = [Heading(title)]
    blocks.append(
        KeyValue(
            _rows(
                [
                    (tr("doc.app_no", lang), number),
                    (tr("doc.app_type", lang), _s(receipt.get("type_name") or receipt.get("type"))),
                    (tr("doc.submitted_at", lang), _when(receipt.get("submitted_at") or receipt.get("issued_at"))),
                    (tr("doc.app_status", lang), _s(receipt.get("status"))),
                    (tr("doc.terminal", lang), _s(receipt.get("terminal_id"))),
                ]
            )
        )
    )
    blocks.append(_person_block(_dict(receipt.get("person")), lang, full_ssn=False, masked_name=True))
    fields = receipt.get("fields")
    pairs = (
        list(fields.items())
        if isinstance(fields, dict)
        else [tuple(item) for item in _list(fields) if isinstance(item, (list, tuple)) and len(item) == 2]
    )
    pairs = [(_s(k), _s(v)) for k, v in pairs]
    if any(v for _, v in pairs):
        blocks += [Divider(), Heading(tr("doc.submitted", lang), level=2), KeyValue(_rows(pairs))]
    steps = receipt.get("next_steps")
    steps_list = [steps] if isinstance(steps, str) else _list(steps)
    if any(_s(step) for step in steps_list):
        blocks += [Divider(), Heading(tr("doc.next", lang), level=2)]
        blocks += [Text(f"{i}. {_s(step)}") for i, step in enumerate((s for s in steps_list if _s(s)), 1)]
    if _s(receipt.get("contact")):
        blocks.append(KeyValue([(tr("doc.contact", lang), _s(receipt.get("contact")))]))
    url = _s(receipt.get("verify_url"))
    if url and url.isascii():
        blocks += [Divider(), QRCode(url), Text(url, align="center")]
    return Document(title=f"{title} {number}".strip(), blocks=blocks)


def reprint_document(doc_json: str, lang: str = DEFAULT_LANGUAGE) -> Document:
    """The document for reprinting a journal entry, marked 补打 / REPRINT, same serial.

    ``doc_json`` is what the journal kept: the certificate JSON as the server issued it (the
    controller's choice) or a ``Document.to_json()``.
    """
    import json

    data = json.loads(doc_json)
    if isinstance(data, dict) and "blocks" in data:
        doc = Document.from_json(data)
        mark = Text(tr("doc.reprint", lang), align="center", bold=True, size=2)
        return Document(doc.title, [mark, *doc.blocks, mark], doc.width_hint)
    return build_certificate_document({**_dict(data), "reprint": True}, lang)


def build_test_page(terminal_id: str, paper_width_dots: int, now: dt.datetime | None = None) -> Document:
    """What staff get from "print a test page": terminal, time, paper width, CJK punctuation and a QR,
    so alignment, fonts and QR printing are all checked on one short slip (no personal data)."""
    when = (now or dt.datetime.now().astimezone()).isoformat(timespec="seconds")
    return Document(
        title="打印测试页 Test page",
        blocks=[
            Heading("打印测试页 Test page"),
            KeyValue(
                [
                    ("终端 Terminal", terminal_id),
                    ("时间 Time", when),
                    ("纸宽 Paper", f"{paper_width_dots} dots"),
                    ("标点 Punctuation", "，。：；（）「」￥"),
                ]
            ),
            QRCode(f"TEST-{terminal_id}"),
            Cut(),
        ],
    )
