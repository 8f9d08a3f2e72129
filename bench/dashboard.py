"""Benchmark: the targets dashboard's aggregate over a province of N enterprises, beside a raw
SQL anchor of the same aggregate measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_bench_dashboard \
        .venv/bin/python bench/dashboard.py [--enterprises 100000] [--repeat 7]

1. Migrates, loads the reference data and runs ``manage.py seed_demo --enterprises N`` (it
   keeps what exists, so a second run only measures), then ANALYZE.
2. For the province, a city (郑州) and a county (新郑市), times (best of ``--repeat``):
   - query 1 as the dashboard runs it (the ORM's grouped query of current grades),
   - the same aggregate written by hand in SQL (the anchor), checked to give the same rows,
   - query 2 (the month-end history, raw SQL by design),
   - the figures computed (both queries, reference reads and the Python sums), and
     ``dashboard()`` as a page gets them: from the cache while nothing they depend on changed.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Measure what production runs: DEBUG off (DEBUG keeps every query's SQL in memory).
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from grading.models import Enterprise, Region  # noqa: E402
from publication.selectors import dashboard as dash  # noqa: E402

ANCHOR_SQL = """
SELECT CASE WHEN %(by_city)s AND r.level <> 'city' THEN r.parent_id ELSE e.county_id END AS area,
       ei.industry_id,
       COUNT(*) FILTER (WHERE c.code = ANY(%(key)s) AND e.overall_grade_id IS NOT NULL),
       COUNT(*) FILTER (WHERE c.code = ANY(%(key)s) AND g.severity <= %(ab)s),
       COUNT(*) FILTER (WHERE g.severity >= %(d)s),
       COUNT(*) FILTER (WHERE c.code = ANY(%(key)s) AND e.overall_grade_id IS NULL)
FROM grading_enterpriseindustry ei
JOIN grading_enterprise e ON e.id = ei.enterprise_id
JOIN grading_region r ON r.id = e.county_id
JOIN grading_industry i ON i.id = ei.industry_id
JOIN grading_industrycategory c ON c.id = i.category_id
LEFT JOIN grading_grade g ON g.id = e.overall_grade_id
WHERE ei.is_main AND e.county_id = ANY(%(units)s)
GROUP BY 1, ei.industry_id
"""


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def anchor(region: Region) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            ANCHOR_SQL,
            {
                "key": list(dash.KEY_CATEGORIES),
                "ab": dash.AB_MAX_SEVERITY,
                "d": dash.D_SEVERITY,
                "units": dash.county_units(region),
                # the drill-down's areas: the province's cities, a city's county-level units
                "by_city": region.level == Region.Level.PROVINCE,
            },
        )
        return cursor.fetchall()


def as_tuples(rows: list[dict]) -> list[tuple]:
    return sorted(
        (
            r["area"],
            r["industry_id"],
            r["graded"],
            r["ab"],
            r["d"],
            r["ungraded"],
        )
        for r in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database of its own")
    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", enterprises=args.enterprises, verbosity=0)
    print(f"seed_demo --enterprises {args.enterprises}: {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"enterprises in database: {Enterprise.objects.count()}")
    year = timezone.localdate().year
    for code in ("410000", "410100", "410184"):
        region = Region.objects.get(code=code)
        orm_s, orm_rows = best(lambda r=region: dash.current_rows(r), args.repeat)
        sql_s, sql_rows = best(lambda r=region: anchor(r), args.repeat)
        assert as_tuples(orm_rows) == sorted(sql_rows), "the anchor must give the same rows"
        month_s, months = best(
            lambda r=region: dash.monthly(r, year, timezone.localdate()), args.repeat
        )
        today = timezone.localdate()
        whole_s, figures = best(
            lambda r=region, t=today: dash._dashboard(region=r, year=year, today=t), args.repeat
        )
        served_s, _served = best(lambda r=region: dash.dashboard(region=r, year=year), args.repeat)
        print(
            f"{region.name:6} query 1 (ORM) {orm_s * 1000:7.1f} ms | raw SQL anchor "
            f"{sql_s * 1000:7.1f} ms | query 2 ({len(months)} month ends) "
            f"{month_s * 1000:7.1f} ms | computed {whole_s * 1000:7.1f} ms, "
            f"served from the cache {served_s * 1000:5.1f} ms | "
            f"{figures.total.graded} graded, A/B {figures.total.share}%, D {figures.total.d}"
        )


if __name__ == "__main__":
    main()
