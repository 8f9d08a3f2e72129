import datetime

from publication import workdays

D = datetime.date


def test_five_working_days_skip_the_weekend():
    assert workdays.window(D(2026, 3, 6), 5) == (D(2026, 3, 6), D(2026, 3, 12))  # Fri → Thu


def test_a_window_starting_on_a_weekend_starts_on_monday():
    assert workdays.window(D(2026, 3, 7), 5) == (D(2026, 3, 9), D(2026, 3, 13))


def test_national_day_holidays_are_skipped_and_makeup_saturday_counts():
    # 9/30 (Wed) is a working day, 10/1–10/7 are holidays, Saturday 10/10 is worked.
    assert workdays.window(D(2026, 9, 30), 5) == (D(2026, 9, 30), D(2026, 10, 12))
    assert workdays.is_workday(D(2026, 10, 10))
    assert not workdays.is_workday(D(2026, 10, 5))


def test_the_calendar_can_be_another_file(settings, tmp_path):
    path = tmp_path / "cal.yaml"
    path.write_text("holidays:\n  - 2026-03-09\nmakeup_workdays: []\n", encoding="utf-8")
    settings.GRADING = {**settings.GRADING, "WORKDAY_CALENDAR": str(path)}
    assert not workdays.is_workday(D(2026, 3, 9))
    assert workdays.window(D(2026, 3, 6), 2) == (D(2026, 3, 6), D(2026, 3, 10))
