"""The period a table covers: 今年, 去年, 近三年, a from–to range of months, or one year.

Pure logic, no Kivy: the query flow keeps a :class:`PeriodChoice`, the records screen shows it and
sends the resident's touches back as steps (``choose``, ``step``, ``apply``). Months are
``YYYY-MM`` strings; the gateway takes them inclusive and refuses the future and anything before
1990 (server/certificates.py), so a choice is checked here first and the resident is told what to
change instead of meeting a gateway refusal.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from kiosk.i18n import N_

logger = logging.getLogger(__name__)

EARLIEST_MONTH = "1990-01"  # the gateway's first period of record
MAX_MONTHS = 120  # ten years in one table: more is pages nobody reads at a kiosk
# A 缴费凭证 prints one line a month: five years is about 20 cm of 80 mm paper, and the gateway
# refuses more (server.certificates.MAX_PAYMENT_MONTHS; a test keeps the two equal).
CERTIFICATE_MAX_MONTHS = 60
TOO_LONG = N_("period.error.too_long")
CERTIFICATE_TOO_LONG = N_("period.error.certificate_too_long")
PRESETS = ("this_year", "last_year", "last_3_years")
# The buttons' words: the presets and ``custom`` (自选月份, the from–to editor).
PRESET_KEYS = {
    "this_year": N_("period.this_year"),
    "last_year": N_("period.last_year"),
    "last_3_years": N_("period.last_3_years"),
    "custom": N_("period.custom"),
}
MONTHS = "months"
YEAR = "year"


def month_index(period: str) -> int:
    """``YYYY-MM`` as a count of months, for arithmetic; ValueError when it is not one."""
    if len(period) != 7 or period[4] != "-" or not (period[:4].isdigit() and period[5:].isdigit()):
        raise ValueError(f"not a YYYY-MM month: {period!r}")
    year, month = int(period[:4]), int(period[5:])
    if not 1 <= month <= 12:
        raise ValueError(f"no month {month}")
    return year * 12 + month - 1


def month_of(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{year:04d}-{month + 1:02d}"


def shift_month(period: str, months: int) -> str:
    return month_of(month_index(period) + months)


def current_month(today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    return f"{today.year:04d}-{today.month:02d}"


@dataclass(frozen=True)
class PeriodChoice:
    """What the resident chose and what the table shows now.

    ``kind`` is ``months`` (a from–to range; ``preset`` one of PRESETS or ``custom``) or ``year``
    (one year: ``start`` = ``end`` = ``YYYY``). ``editing`` is True while the from–to editor is
    open; ``draft_start``/``draft_end`` are the months being edited there and ``error`` the message
    key of what is wrong with them (None when they can be applied). ``max_months`` is the longest
    range the service takes and ``too_long`` the message key that says so."""

    kind: str
    preset: str
    start: str
    end: str
    editing: bool = False
    draft_start: str = ""
    draft_end: str = ""
    error: str | None = None
    max_months: int = MAX_MONTHS
    too_long: str = TOO_LONG


def preset_range(preset: str, today: dt.date | None = None) -> tuple[str, str]:
    """(from, to) of a preset: this year up to this month; all of last year; the 36 months up to
    this month. ValueError for an unknown preset."""
    now = current_month(today)
    year = int(now[:4])
    if preset == "this_year":
        return f"{year:04d}-01", now
    if preset == "last_year":
        return f"{year - 1:04d}-01", f"{year - 1:04d}-12"
    if preset == "last_3_years":
        return shift_month(now, -35), now
    raise ValueError(f"unknown period preset {preset!r}")


def validate_range(
    start: str, end: str, today: dt.date | None = None, max_months: int = MAX_MONTHS, too_long: str = TOO_LONG
) -> str | None:
    """The message key of what is wrong with a from–to range, or None when the gateway will take it;
    ``too_long`` when it is longer than ``max_months``."""
    try:
        first, last = month_index(start), month_index(end)
    except ValueError:
        return N_("period.error.format")
    if last > month_index(current_month(today)):
        return N_("period.error.future")
    if first < month_index(EARLIEST_MONTH):
        return N_("period.error.too_early")
    if first > last:
        return N_("period.error.order")
    if last - first + 1 > max_months:
        return too_long
    return None


def choice_error(choice: PeriodChoice, today: dt.date | None = None) -> str | None:
    """What is wrong with the range a choice shows now (None when the service will take it)."""
    return validate_range(choice.start, choice.end, today, choice.max_months, choice.too_long)


def months_choice(
    preset: str = "this_year", today: dt.date | None = None, max_months: int = MAX_MONTHS, too_long: str = TOO_LONG
) -> PeriodChoice:
    start, end = preset_range(preset, today)
    return PeriodChoice(MONTHS, preset, start, end, max_months=max_months, too_long=too_long)


def certificate_choice(preset: str = "this_year", today: dt.date | None = None) -> PeriodChoice:
    """The months of a 缴费凭证: the presets and from–to of 缴费明细, at most CERTIFICATE_MAX_MONTHS."""
    return months_choice(preset, today, CERTIFICATE_MAX_MONTHS, CERTIFICATE_TOO_LONG)


def year_choice(year: int | None = None, today: dt.date | None = None) -> PeriodChoice:
    """One year; by default last year, the last one complete (a 个人权益单 is read by whole years)."""
    chosen = year if year is not None else (today or dt.date.today()).year - 1
    return PeriodChoice(YEAR, "year", f"{chosen:04d}", f"{chosen:04d}")


def choose(choice: PeriodChoice, preset: str, today: dt.date | None = None) -> PeriodChoice:
    """A preset button: its range at once. ``custom`` opens the editor on the range shown now."""
    if preset == "custom":
        return replace(choice, editing=True, draft_start=choice.start, draft_end=choice.end, error=None)
    start, end = preset_range(preset, today)
    return PeriodChoice(MONTHS, preset, start, end, max_months=choice.max_months, too_long=choice.too_long)


def step(choice: PeriodChoice, which: str, months: int, today: dt.date | None = None) -> PeriodChoice:
    """Move the editor's ``from`` or ``to`` month by ``months`` (±1 month, ±12 a year), never past
    this month nor before EARLIEST_MONTH; ``error`` tells whether the range can be applied."""
    if not choice.editing or which not in ("from", "to"):
        return choice
    low, high = month_index(EARLIEST_MONTH), month_index(current_month(today))
    current = choice.draft_start if which == "from" else choice.draft_end
    moved = month_of(min(high, max(low, month_index(current) + months)))
    start, end = (moved, choice.draft_end) if which == "from" else (choice.draft_start, moved)
    error = validate_range(start, end, today, choice.max_months, choice.too_long)
    return replace(choice, draft_start=start, draft_end=end, error=error)


def apply(choice: PeriodChoice, today: dt.date | None = None) -> PeriodChoice:
    """Close the editor with its range, or keep it open with the error when the range is wrong."""
    if not choice.editing:
        return choice
    error = validate_range(choice.draft_start, choice.draft_end, today, choice.max_months, choice.too_long)
    if error is not None:
        return replace(choice, error=error)
    return PeriodChoice(
        MONTHS, "custom", choice.draft_start, choice.draft_end, max_months=choice.max_months, too_long=choice.too_long
    )


def cancel(choice: PeriodChoice) -> PeriodChoice:
    return replace(choice, editing=False, draft_start="", draft_end="", error=None)


def step_year(choice: PeriodChoice, years: int, today: dt.date | None = None) -> PeriodChoice:
    """The year before or after, within 1990 … this year."""
    this_year = (today or dt.date.today()).year
    year = min(this_year, max(int(EARLIEST_MONTH[:4]), int(choice.start) + years))
    return replace(choice, start=f"{year:04d}", end=f"{year:04d}")


def on_intent(choice: PeriodChoice, intent: str, value: str, today: dt.date | None = None) -> PeriodChoice | None:
    """The choice after one of the records screen's period touches: ``period`` with a preset or
    ``custom``, ``period_step`` with ``from:-12`` … ``to:+1`` or ``year:±1``, ``period_apply``,
    ``period_cancel``. None for a touch that changes nothing (an unknown intent or value)."""
    if intent == "period" and choice.kind == MONTHS and (value in PRESETS or value == "custom"):
        return choose(choice, value, today)
    if intent == "period_step":
        which, _, amount = value.partition(":")
        try:
            count = int(amount)
        except ValueError:
            logger.info("period step %r ignored", value)
            return None
        if which == "year" and choice.kind == YEAR:
            return step_year(choice, count, today)
        return step(choice, which, count, today)
    if intent == "period_apply":
        return apply(choice, today)
    if intent == "period_cancel":
        return cancel(choice)
    return None


def decimal_of(value: object) -> Decimal:
    """An amount as the gateway sends it (a decimal string, exact), 0 when empty or unreadable."""
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        logger.warning("an amount that is not a number was counted as 0")
        return Decimal(0)


def column_totals(rows: list[dict], fields: tuple[str, ...]) -> dict[str, Decimal]:
    """The sum of each field over the rows (exact decimals): a page's subtotal, a table's total."""
    return {name: sum((decimal_of(row.get(name)) for row in rows), start=Decimal(0)) for name in fields}
