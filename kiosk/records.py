"""Record loaders: gateway answers turned into tables ready for the records screen.

A query service in the catalogue names its loader here by key (``LOADERS``). Each loader calls the
backend (so it runs on the worker) and returns :class:`kiosk.state.Records` with translated titles
and formatted cells, so every screen stays a dumb view and the same words appear in every language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from kiosk.i18n import CATALOGUES, N_, tr
from kiosk.periods import column_totals
from kiosk.state import Records


@dataclass(frozen=True)
class QueryRequest:
    """What a query asks for: the session, the language, the period (YYYY-MM) and the page."""

    session_id: str
    language: str
    from_period: str | None = None
    to_period: str | None = None
    page: int = 1
    page_size: int = 100


Loader = Callable[[Any, QueryRequest], Records]


def period_back(months: int, today: dt.date | None = None) -> tuple[str, str]:
    """(from, to) as YYYY-MM covering the last ``months`` complete months before today."""
    today = today or dt.date.today()
    end_year, end_month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    start_index = end_year * 12 + (end_month - 1) - (months - 1)
    start_year, start_month = divmod(start_index, 12)
    return f"{start_year:04d}-{start_month + 1:02d}", f"{end_year:04d}-{end_month:02d}"


def insurance_records(data: dict, lang: str) -> Records:
    """参保信息 from the gateway's /insurance answer."""
    rows = [
        [
            insurance_type(item, lang),
            str(item.get("status", "")),
            str(item.get("start_date", "")),
            str(item.get("unit_name", "")),
        ]
        for item in data.get("enrolments", [])
    ]
    summary = []
    months = (data.get("summary") or {}).get("months_paid_total")
    if months is not None:
        summary.append(tr("insurance.months_paid", lang, months=months))
    return Records(
        title=tr("insurance.title", lang),
        columns=[tr(f"insurance.col.{name}", lang) for name in ("type", "status", "start", "unit")],
        rows=rows,
        summary=summary,
    )


def contribution_records(data: dict, lang: str) -> Records:
    """缴费明细 from the gateway's /contributions answer (one page, with the totals of the whole range)."""
    rows = [
        [
            str(item.get("period", "")),
            insurance_type(item, lang),
            _money(item.get("base")),
            _money(item.get("personal")),
            _money(item.get("unit")),
        ]
        for item in data.get("items", [])
    ]
    totals = data.get("totals") or {}
    summary = []
    if len(data.get("items") or []) and _pages(data) > 1:
        subtotal = column_totals(data.get("items") or [], ("personal", "unit"))
        summary.append(
            tr("contrib.page_subtotal", lang, personal=_money(subtotal["personal"]), unit=_money(subtotal["unit"]))
        )
    if totals:
        summary.append(
            tr(
                "contrib.totals",
                lang,
                months=totals.get("months_paid", "-"),
                personal=_money(totals.get("personal")),
                unit=_money(totals.get("unit")),
            )
        )
    return Records(
        title=tr("service.contributions", lang),
        columns=[tr(f"contrib.col.{name}", lang) for name in ("period", "type", "base", "personal", "unit")],
        rows=rows,
        summary=summary,
        page=int(data.get("page") or 1),
        pages=_pages(data),
    )


def card_records(data: dict, lang: str) -> Records:
    """社保卡信息 and 制卡进度 from the gateway's /cards answer (card numbers arrive masked)."""
    rows = [
        [
            str(card.get("card_number_masked", "")),
            str(card.get("status_name", card.get("status", ""))),
            " ".join(
                str(part)
                for part in (
                    card.get("production_stage_name", card.get("production_stage", "")),
                    card.get("tracking_number"),
                )
                if part
            ),
            str(card.get("expires_on", "")),
        ]
        for card in data.get("cards", [])
    ]
    return Records(
        title=tr("service.card_info", lang),
        columns=[tr(f"cards.col.{name}", lang) for name in ("number", "status", "stage", "expires")],
        rows=rows,
    )


def benefit_records(data: dict, lang: str, page: int = 1, page_size: int = 100) -> Records:
    """待遇发放 from the gateway's /benefits answer (every payment, newest first), paged here; the
    total is summed from the rows (exact decimals) and is the total of every page."""
    items = list(data.get("items") or [])
    pages = max(1, -(-len(items) // page_size))
    page = min(max(1, page), pages)
    shown = items[(page - 1) * page_size : page * page_size]
    rows = [
        [
            str(item.get("period", "")),
            _named("benefit.kind", item.get("kind"), item.get("kind_name"), lang),
            _money(item.get("amount")),
            str(item.get("paid_on") or ""),
            _named("benefit.status", item.get("status"), item.get("status"), lang),
        ]
        for item in shown
    ]
    summary = [tr("benefits.none", lang)] if not items else []
    if items:
        total = column_totals(items, ("amount",))["amount"]
        summary.append(tr("benefits.total", lang, count=len(items), amount=_money(total)))
    return Records(
        title=tr("service.benefits", lang),
        columns=[
            tr(key, lang)
            for key in (
                N_("benefits.col.period"),
                N_("benefits.col.kind"),
                N_("benefits.col.amount"),
                N_("benefits.col.paid_on"),
                N_("benefits.col.status"),
            )
        ],
        rows=rows,
        summary=summary,
        page=page,
        pages=pages,
    )


def application_records(data: dict, lang: str) -> Records:
    """办事进度 from the gateway's /applications answer: each application (newest first), then its
    status history, oldest change first, one row each."""
    rows: list[list[str]] = []
    for app in data.get("items") or []:
        status = _named("app.status", app.get("status"), app.get("status_name"), lang)
        submitted = str(app.get("submitted_at") or "")[:10]
        kind = _named("service", app.get("kind"), app.get("type_name"), lang)  # the kinds are the kiosk's service ids
        rows.append([f"{kind} {app.get('number', '')}".strip(), status, submitted, ""])
        for event in app.get("history") or []:
            at = str(event.get("at") or "")[:16].replace("T", " ")
            name = _named("app.status", event.get("status"), event.get("status_name"), lang)
            rows.append(["", f"· {name}", at, str(event.get("note") or "")])
    summary = [] if rows else [tr("applications.none", lang)]
    return Records(
        title=tr("service.applications", lang),
        columns=[
            tr(key, lang)
            for key in (
                N_("applications.col.item"),
                N_("applications.col.status"),
                N_("applications.col.time"),
                N_("applications.col.note"),
            )
        ],
        rows=rows,
        summary=summary,
    )


def rights_records(data: dict, lang: str) -> Records:
    """个人权益单 of one year on screen, from the gateway's /rights answer: a row per insurance type,
    then the year's months, amounts and the 养老 personal account balance."""
    rows: list[list[str]] = []
    summary: list[str] = []
    for year in data.get("years") or []:
        for kind in year.get("by_type") or []:
            rows.append(
                [
                    insurance_type(kind, lang),
                    str(kind.get("months", "")),
                    _money(kind.get("personal")),
                    _money(kind.get("unit")),
                ]
            )
        summary.append(
            tr(
                "rights.year_summary",
                lang,
                year=year.get("year", ""),
                months=year.get("months_paid", 0),
                base=_money(year.get("average_base")),
                personal=_money(year.get("personal")),
                unit=_money(year.get("unit")),
            )
        )
        summary.append(tr("rights.balance", lang, balance=_money(year.get("pension_account_balance"))))
    if not rows:
        summary.insert(0, tr("rights.none", lang))
    return Records(
        title=tr("service.rights_statement", lang),
        columns=[
            tr(key, lang)
            for key in (
                N_("rights.col.type"),
                N_("rights.col.months"),
                N_("rights.col.personal"),
                N_("rights.col.unit"),
            )
        ],
        rows=rows,
        summary=summary,
    )


# TRANSLATORS: the words of codes the gateway sends, looked up at run time (kiosk.records._named).
RUNTIME_KEYS = (
    N_("benefit.kind.pension"),
    N_("benefit.kind.unemployment"),
    N_("benefit.status.paid"),
    N_("app.status.submitted"),
    N_("app.status.accepted"),
    N_("app.status.approved"),
    N_("app.status.producing"),
    N_("app.status.shipped"),
    N_("app.status.collected"),
    N_("app.status.completed"),
    N_("app.status.rejected"),
    # The insurance types (险种) by their national code; "all" is a payment certificate's monthly
    # row of every type together (server.certificates).
    N_("insurance.type.110"),
    N_("insurance.type.120"),
    N_("insurance.type.170"),
    N_("insurance.type.210"),
    N_("insurance.type.310"),
    N_("insurance.type.390"),
    N_("insurance.type.410"),
    N_("insurance.type.510"),
    N_("insurance.type.all"),
)


def insurance_type(item: dict, lang: str) -> str:
    """An insurance type (险种) in ``lang``, from the item's ``type_code``; the gateway's own
    ``type_name`` (简体) for a code the catalogue does not know."""
    return _named("insurance.type", item.get("type_code"), item.get("type_name"), lang)


def _named(family: str, code: object, fallback: object, lang: str) -> str:
    """The words for a gateway code (``family.code`` in the catalogue), else the gateway's own name:
    a code added on the gateway shows its 简体 name rather than an error."""
    if code:
        text = CATALOGUES.lookup(f"{family}.{code}", lang) or CATALOGUES.lookup(f"{family}.{code}", "zh_CN")
        if text:
            return text
    return str(fallback or code or "")


def _pages(data: dict) -> int:
    """Pages of the answer's range: ``total_items`` over ``page_size``, at least one."""
    size = int(data.get("page_size") or 0)
    total = int(data.get("total_items") or 0)
    return max(1, -(-total // size)) if size > 0 else 1


def _money(value: object) -> str:
    """Amounts arrive as decimal strings (exact) or numbers; shown with two decimals and thousands separators."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


def _load_insurance(backend: Any, request: QueryRequest) -> Records:
    return insurance_records(backend.insurance(request.session_id), request.language)


def _load_contributions(backend: Any, request: QueryRequest) -> Records:
    answer = backend.contributions(
        request.session_id, request.from_period, request.to_period, page=request.page, page_size=request.page_size
    )
    return contribution_records(answer, request.language)


def _load_cards(backend: Any, request: QueryRequest) -> Records:
    return card_records(backend.cards(request.session_id), request.language)


def _load_benefits(backend: Any, request: QueryRequest) -> Records:
    return benefit_records(backend.benefits(request.session_id), request.language, request.page, request.page_size)


def _load_applications(backend: Any, request: QueryRequest) -> Records:
    return application_records(backend.applications(request.session_id), request.language)


def _load_rights(backend: Any, request: QueryRequest) -> Records:
    """One year: ``from_period`` and ``to_period`` are ``YYYY`` here (kiosk.periods.year_choice)."""
    from_year = int(request.from_period) if request.from_period else None
    to_year = int(request.to_period) if request.to_period else None
    return rights_records(backend.rights(request.session_id, from_year, to_year), request.language)


LOADERS: dict[str, Loader] = {
    "insurance": _load_insurance,
    "contributions": _load_contributions,
    "cards": _load_cards,
    "benefits": _load_benefits,
    "applications": _load_applications,
    "rights": _load_rights,
}
