"""Working days of the mainland calendar: a notice (公示) lasts a number of working days.

Monday to Friday are working days except the public holidays; Saturday and Sunday are not,
except the make-up working days (调休上班). Both lists come from ``data/workdays.yaml`` (or the
file ``settings.GRADING["WORKDAY_CALENDAR"]`` names), one entry a day or a ``from``/``to`` range.
"""

import datetime
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings

DEFAULT_CALENDAR = Path(__file__).resolve().parent / "data" / "workdays.yaml"


def _days(entries) -> frozenset[datetime.date]:
    out: set[datetime.date] = set()
    for entry in entries or []:
        if isinstance(entry, dict):
            day, last = entry["from"], entry["to"]
            while day <= last:
                out.add(day)
                day += datetime.timedelta(days=1)
        else:
            out.add(entry)
    return frozenset(out)


@cache
def _calendar(path: str) -> tuple[frozenset, frozenset]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return _days(data.get("holidays")), _days(data.get("makeup_workdays"))


def calendar() -> tuple[frozenset, frozenset]:
    """(holidays, make-up working days)."""
    return _calendar(str(settings.GRADING.get("WORKDAY_CALENDAR") or DEFAULT_CALENDAR))


def is_workday(day: datetime.date) -> bool:
    holidays, makeup = calendar()
    if day in makeup:
        return True
    return day.weekday() < 5 and day not in holidays


def next_workday(day: datetime.date) -> datetime.date:
    """``day`` itself when it is a working day, else the next one."""
    while not is_workday(day):
        day += datetime.timedelta(days=1)
    return day


def window(start: datetime.date, workdays: int) -> tuple[datetime.date, datetime.date]:
    """A window of ``workdays`` working days from ``start`` (or the next working day): its
    first and last day, both working days."""
    first = day = next_workday(start)
    for _ in range(workdays - 1):
        day = next_workday(day + datetime.timedelta(days=1))
    return first, day
