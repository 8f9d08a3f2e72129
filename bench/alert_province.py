"""Benchmark: a province red alert (the worker job) and the alert lists, beside the raw
GROUP BY anchor of the same per-county totals, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_perf_bench \
        .venv/bin/python bench/alert_province.py [--enterprises 100000] [--year 2026]

1. Prepares the province as ``export_province.py`` does (seeds enterprises, measure templates
   and this year's list entries if missing; timed), then ANALYZE.
2. In a child process (its own peak memory), best of ``--repeat``:
   - anchor: the per-county baseline and red-level cut of the whole province by two
     hand-written GROUP BY queries;
   - the job's totals alone (``_county_totals`` of every county: the job's two grouped
     queries);
   - the whole job (``alert_compute``): wall time, number of queries, time spent in the
     database, rows of duties written;
   - end to end: POST /api/v1/list/alerts/ with the job run in-process on commit (eager), so
     the request returns once the alert is ready; the same for the page's form.
3. With the alerts stored by step 2: the alert list page and the API list, and the first and
   a deep page of duties through the API (cursor) and the page.

Prints each figure, the anchor and the ratio. The alerts it created are deleted at the end.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"  # the job runs in the process that calls it

from export_province import peak_mib, prepare, setup_django  # noqa: E402

ANCHOR_BASE = """
SELECT le.county_id, SUM(le.so2_tpa / le.operating_days), SUM(le.nox_tpa / le.operating_days),
       SUM(le.pm_tpa / le.operating_days), SUM(le.vocs_tpa / le.operating_days)
FROM emergency_list_listentry le WHERE le.year = %s GROUP BY le.county_id
"""
ANCHOR_CUT = """
SELECT le.county_id, SUM(m.so2_td), SUM(m.nox_td), SUM(m.pm_td), SUM(m.vocs_td)
FROM emergency_list_entrymeasure m
JOIN emergency_list_entryprocess ep ON ep.id = m.entry_process_id
JOIN emergency_list_listentry le ON le.id = ep.entry_id
WHERE le.year = %s AND m.level = 'red' GROUP BY le.county_id
"""


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


class DbTimer:
    """Counts the queries and the time spent in the database (DEBUG stays off)."""

    def __init__(self):
        self.queries, self.seconds = 0, 0.0

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - t
            self.queries += 1


def child(year: int, repeat: int) -> dict:
    setup_django()
    from django.conf import settings

    # no collected static files here: plain static URLs (what a page costs is unchanged)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.db import connection
    from django.test import Client

    from emergency_list.models import Alert, AlertLevel
    from emergency_list.services import alerts as svc
    from grading.models import Region, User

    province = Region.objects.get(level=Region.Level.PROVINCE)
    cities = list(Region.objects.filter(level=Region.Level.CITY, parent=province).order_by("code"))
    user, _new = User.objects.get_or_create(
        username="bench-province",
        defaults={"role": User.Role.PROVINCE, "region": province, "full_name": "基准测试"},
    )
    out: dict = {"cities": len(cities)}

    def anchor():
        with connection.cursor() as cur:
            cur.execute(ANCHOR_BASE, [year])
            base = cur.fetchall()
            cur.execute(ANCHOR_CUT, [year])
            return base, cur.fetchall()

    out["anchor_s"], (base, _cut) = best(anchor, repeat)
    out["anchor_counties"] = len(base)
    units = [u for _c, us in svc._units(cities) for u in us]

    def totals():
        ids = [u.pk for _city, us in svc._units(cities) for u in us]
        svc._county_totals(year=year, level=AlertLevel.RED, unit_ids=ids)

    out["totals_s"], _ = best(totals, repeat)
    out["units"] = len(units)
    day = __import__("datetime").date(year, 1, 10)
    created = []

    def job():
        alert = Alert.objects.create(
            level=AlertLevel.RED, year=year, start_on=day, end_on=day, called_by=user
        )
        alert.cities.set(cities)
        created.append(alert.pk)
        timer = DbTimer()
        with connection.execute_wrapper(timer):
            svc.alert_compute(alert=alert)
        return timer, alert

    out["job_s"], (timer, alert) = best(job, repeat)
    out["job_queries"], out["job_db_s"] = timer.queries, timer.seconds
    out["duties"] = alert.duties.count()
    out["entries"] = alert.entries

    client = Client()
    client.force_login(user)
    body = {
        "level": "red",
        "cities": [c.code for c in cities],
        "start_on": str(day),
        "end_on": str(day),
        "year": year,
    }

    def api_call():
        r = client.post("/api/v1/list/alerts/", body, content_type="application/json", secure=True)
        assert r.status_code == 202 and r.json()["status"] == "ready", (
            r.status_code,
            r.content[:300],
        )
        created.append(r.json()["id"])

    out["api_call_s"], _ = best(api_call, repeat)
    form = {**body, "cities": [c.pk for c in cities]}

    def page_call():
        r = client.post("/list/alerts/", form, secure=True)
        assert r.status_code == 302, r.content[:300]
        created.append(int(r["Location"].rstrip("/").rsplit("/", 1)[1]))

    out["page_call_s"], _ = best(page_call, 1)
    out["alerts_stored"] = Alert.objects.count()

    def get(url, **params):
        r = client.get(url, params, secure=True)  # DEBUG off redirects http to https
        assert r.status_code == 200, (url, r.status_code)
        return r

    out["list_page_s"], _ = best(lambda: get("/list/alerts/"), repeat)
    out["list_api_s"], _ = best(lambda: get("/api/v1/list/alerts/"), repeat)
    pk = created[-2]
    out["detail_page_s"], _ = best(lambda: get(f"/list/alerts/{pk}/"), repeat)
    last = (Alert.objects.get(pk=pk).entries + 49) // 50
    out["detail_last_page_s"], _ = best(lambda: get(f"/list/alerts/{pk}/", page=last), repeat)
    out["duties_api_first_s"], first = best(
        lambda: get(f"/api/v1/list/alerts/{pk}/duties/"), repeat
    )
    # a deep page by cursor: follow ``next`` 20 times, time the last one
    url = first.json()["next"]
    for _ in range(20):
        nxt = get(url).json()["next"]
        url = nxt or url
    out["duties_api_deep_s"], _ = best(lambda: get(url), repeat)
    Alert.objects.filter(pk__in=created).delete()  # what this run created
    out["peak_mib"] = peak_mib()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--year", type=int, default=time.localtime().tm_year)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.year, args.repeat)))
        return
    t = time.perf_counter()
    prepare(args.enterprises, args.year)
    print(f"prepare (seed if missing): {time.perf_counter() - t:.1f} s")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", "--year", str(args.year)]
        + ["--repeat", str(args.repeat)],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit("child failed")
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    print(f"cities {r['cities']}, county units {r['units']}, entries {r['entries']}")
    print(f"anchor: two GROUP BY queries, province: {ms(r['anchor_s'])}")
    print(
        f"totals of the job (two grouped queries): {ms(r['totals_s'])} "
        f"= {r['totals_s'] / r['anchor_s']:.2f}x the anchor"
    )
    print(
        f"alert job (province red): {ms(r['job_s'])}, {r['job_queries']} queries, "
        f"database {ms(r['job_db_s'])}, {r['duties']} duties; "
        f"{r['job_s'] / r['anchor_s']:.1f}x the anchor"
    )
    print(f"POST /api/v1/list/alerts/ (job in-process, until ready): {ms(r['api_call_s'])}")
    print(f"POST /list/alerts/ form (job in-process, until ready): {ms(r['page_call_s'])}")
    print(
        f"with {r['alerts_stored']} alerts stored: list page {ms(r['list_page_s'])}, "
        f"API list {ms(r['list_api_s'])}"
    )
    print(
        f"alert page: first {ms(r['detail_page_s'])}, last duties page "
        f"{ms(r['detail_last_page_s'])}; API duties first {ms(r['duties_api_first_s'])}, "
        f"deep (cursor) {ms(r['duties_api_deep_s'])}"
    )
    print(f"child peak memory: {r['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
