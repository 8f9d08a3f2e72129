"""Review deadlines (R-REV-2, R-REV-3): pure date arithmetic."""

import calendar
from datetime import date, timedelta

COUNTY_DAY = 20


def county_due(submitted_on: date) -> date:
    """R-REV-2: the county finishes the first review of a month's declarations by the 20th.
    A declaration submitted after the 20th belongs to the next month's round."""
    if submitted_on.day <= COUNTY_DAY:
        return submitted_on.replace(day=COUNTY_DAY)
    first_next = (submitted_on.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first_next.replace(day=COUNTY_DAY)


def month_end(day: date) -> date:
    """R-REV-3: the city reviews by the end of the month the case reached it."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
