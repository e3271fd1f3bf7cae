"""kiosk.periods: the presets, the from–to editor with its checks, one year, and totals from rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kiosk import periods

TODAY = dt.date(2026, 11, 30)


def test_presets_cover_this_year_last_year_and_the_last_three_years():
    assert periods.preset_range("this_year", TODAY) == ("2026-01", "2026-11")
    assert periods.preset_range("last_year", TODAY) == ("2025-01", "2025-12")
    assert periods.preset_range("last_3_years", TODAY) == ("2023-12", "2026-11")
    assert periods.preset_range("this_year", dt.date(2027, 1, 3)) == ("2027-01", "2027-01")
    with pytest.raises(ValueError):
        periods.preset_range("forever", TODAY)


@pytest.mark.parametrize(
    ("start", "end", "error"),
    [
        ("2025-01", "2025-12", None),
        ("2026-11", "2026-11", None),
        ("2026-12", "2026-12", "period.error.future"),
        ("1989-12", "1990-05", "period.error.too_early"),
        ("2025-06", "2025-01", "period.error.order"),
        ("2010-01", "2025-12", "period.error.too_long"),
        ("2025-13", "2025-12", "period.error.format"),
        ("2025/01", "2025-12", "period.error.format"),
    ],
)
def test_a_range_is_checked_before_the_gateway_sees_it(start, end, error):
    assert periods.validate_range(start, end, TODAY) == error


def test_the_editor_steps_months_and_years_and_applies_only_a_valid_range():
    choice = periods.months_choice("last_year", TODAY)
    choice = periods.choose(choice, "custom", TODAY)
    assert choice.editing and (choice.draft_start, choice.draft_end) == ("2025-01", "2025-12")
    choice = periods.step(choice, "from", -12, TODAY)
    choice = periods.step(choice, "from", 1, TODAY)
    assert choice.draft_start == "2024-02" and choice.error is None
    choice = periods.step(choice, "to", 60, TODAY)  # never past this month
    assert choice.draft_end == "2026-11"
    choice = periods.step(choice, "to", -20, TODAY)
    choice = periods.step(choice, "from", 14, TODAY)  # after 'to' now
    assert (choice.draft_start, choice.draft_end, choice.error) == ("2025-04", "2025-03", "period.error.order")
    refused = periods.apply(choice, TODAY)
    assert refused.editing and refused.error == "period.error.order"
    choice = periods.step(refused, "from", -12, TODAY)
    applied = periods.apply(choice, TODAY)
    assert not applied.editing and (applied.preset, applied.start, applied.end) == ("custom", "2024-04", "2025-03")
    cancelled = periods.cancel(periods.choose(applied, "custom", TODAY))
    assert not cancelled.editing and (cancelled.start, cancelled.end) == ("2024-04", "2025-03")


def test_the_editor_stops_at_the_first_month_of_record():
    choice = periods.choose(periods.months_choice("this_year", TODAY), "custom", TODAY)
    for _ in range(50):
        choice = periods.step(choice, "from", -12, TODAY)
    assert choice.draft_start == periods.EARLIEST_MONTH
    assert choice.error == "period.error.too_long"


def test_one_year_steps_within_1990_and_this_year():
    choice = periods.year_choice(today=TODAY)
    assert (choice.kind, choice.start, choice.end) == (periods.YEAR, "2025", "2025")
    assert periods.step_year(choice, 1, TODAY).start == "2026"
    assert periods.step_year(periods.step_year(choice, 1, TODAY), 1, TODAY).start == "2026"
    assert periods.step_year(periods.year_choice(1990), -1, TODAY).start == "1990"


def test_totals_are_exact_sums_of_the_rows():
    rows = [{"personal": "0.10", "unit": "1,000.20"}, {"personal": "0.20", "unit": None}, {"personal": "x"}]
    assert periods.column_totals(rows, ("personal", "unit")) == {
        "personal": Decimal("0.30"),
        "unit": Decimal("1000.20"),
    }
