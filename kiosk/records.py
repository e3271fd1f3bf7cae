"""Record loaders: gateway answers turned into tables ready for the records screen.

A query service in the catalogue names its loader here by key (``LOADERS``). Each loader calls the
backend (so it runs on the worker) and returns :class:`kiosk.state.Records` with translated titles
and formatted cells, so every screen stays a dumb view and the same words appear in every language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.i18n import tr
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
            str(item.get("type_name", item.get("type_code", ""))),
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
            str(item.get("type_name", "")),
            _money(item.get("base")),
            _money(item.get("personal")),
            _money(item.get("unit")),
        ]
        for item in data.get("items", [])
    ]
    totals = data.get("totals") or {}
    summary = []
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
            str(card.get("production_stage_name", card.get("production_stage", ""))),
            str(card.get("expires_on", "")),
        ]
        for card in data.get("cards", [])
    ]
    return Records(
        title=tr("service.card_info", lang),
        columns=[tr(f"cards.col.{name}", lang) for name in ("number", "status", "stage", "expires")],
        rows=rows,
    )


def _pages(data: dict) -> int:
    """Pages of the answer's range: ``total_items`` over ``page_size``, at least one."""
    size = int(data.get("page_size") or 0)
    total = int(data.get("total_items") or 0)
    return max(1, -(-total // size)) if size > 0 else 1


def _money(value: object) -> str:
    """Amounts arrive as decimal strings (exact) or numbers; shown with two decimals and thousands separators."""
    try:
        return f"{float(value):,.2f}" if value is not None and value != "" else ""
    except (TypeError, ValueError):
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


LOADERS: dict[str, Loader] = {
    "insurance": _load_insurance,
    "contributions": _load_contributions,
    "cards": _load_cards,
}
