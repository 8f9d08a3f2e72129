"""Review deadlines (R-REV-2, R-REV-3): pure date arithmetic."""

from datetime import date

import pytest

from review.deadlines import county_due, month_end


@pytest.mark.parametrize(
    "submitted_on,due",
    [
        (date(2025, 12, 1), date(2025, 12, 20)),
        (date(2025, 12, 20), date(2025, 12, 20)),
        (date(2025, 12, 21), date(2026, 1, 20)),
        (date(2025, 12, 31), date(2026, 1, 20)),
        (date(2026, 1, 31), date(2026, 2, 20)),
    ],
)
def test_r_rev_2_county_first_review_is_due_by_the_20th(submitted_on, due):
    assert county_due(submitted_on) == due


@pytest.mark.parametrize(
    "day,end",
    [
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 2, 29), date(2024, 2, 29)),
        (date(2025, 2, 10), date(2025, 2, 28)),
        (date(2025, 12, 31), date(2025, 12, 31)),
        (date(2025, 4, 15), date(2025, 4, 30)),
    ],
)
def test_r_rev_3_city_review_is_due_by_month_end(day, end):
    assert month_end(day) == end
