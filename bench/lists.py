"""Benchmark: the enterprise and list-entry APIs for each role, at the first and the last page
and with a county and grade filter, beside a minimal DRF list view in the same process (the
anchor), measured in the same run; and the plan PostgreSQL picks for the province's page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_perf_bench \
        .venv/bin/python bench/lists.py [--enterprises 10000] [--repeat 7]

1. Prepares the province as ``export_province.py`` does (seeds if missing; timed).
2. For a province, a city (郑州) and a county (新郑市) user, best of ``--repeat``:
   GET /api/v1/enterprises/?page=1, the last page by number, a deep page by cursor
   (``?paginate=cursor``, 20 pages in), ``?county=<city>&grade=D``, and /api/v1/list/entries/;
   the anchor: a DRF ListAPIView of enterprises ordered by id with the same page size and a
   plain serializer (id, name, uscc), unscoped, at page 1 and at its last page.
3. EXPLAIN of the province's first page (the index it walks).

Prints each time, the anchor and the ratio. Creates three users if missing; starts nothing.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

from export_province import prepare, setup_django  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=time.localtime().tm_year)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    t = time.perf_counter()
    prepare(args.enterprises, args.year)
    print(f"prepare (seed if missing): {time.perf_counter() - t:.1f} s")
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.db import connection
    from django.urls import clear_url_caches
    from rest_framework.test import APIClient

    from grading.models import Enterprise, Region, User
    from grading.selectors import enterprise_list

    users = {}
    for role, code in (("province", "410000"), ("city", "410100"), ("county", "410184")):
        users[role], _new = User.objects.get_or_create(
            username=f"bench-{role}",
            defaults={"role": role, "region": Region.objects.get(code=code), "full_name": role},
        )
    # the anchor is served by the same stack (middleware, authentication) at a URL of its own
    settings.ROOT_URLCONF = "load_urls"  # the site's URLs and /bench/minimal/
    clear_url_caches()
    anchor_client = APIClient()
    anchor_client.force_authenticate(users["province"])

    def anchor(page: int) -> None:
        r = anchor_client.get("/bench/minimal/", {"page": page}, secure=True)
        assert r.status_code == 200, r.status_code

    total = Enterprise.objects.count()
    last = (total + 49) // 50
    a1, alast = best(lambda: anchor(1), args.repeat), best(lambda: anchor(last), args.repeat)
    print(f"anchor, minimal DRF list: page 1 {a1 * 1000:.1f} ms, page {last} {alast * 1000:.1f} ms")

    for role, user in users.items():
        client = APIClient()
        client.force_authenticate(user)

        def get(url, client=client, **params):
            r = client.get(url, params, secure=True)
            assert r.status_code == 200, (url, r.status_code)
            return r.json()

        count = get("/api/v1/enterprises/")["count"]
        pages = max(1, (count + 49) // 50)
        body = get("/api/v1/enterprises/", paginate="cursor")
        for _ in range(20):
            body = get(body["next"]) if body["next"] else body
        deep = body["next"] or "/api/v1/enterprises/?paginate=cursor"
        figures = {
            "page 1": best(lambda: get("/api/v1/enterprises/", page=1), args.repeat),
            f"last page ({pages})": best(
                lambda n=pages: get("/api/v1/enterprises/", page=n), args.repeat
            ),
            "cursor, 20 pages in": best(lambda url=deep: get(url), args.repeat),
            "county=410100&grade=D": best(
                lambda: get("/api/v1/enterprises/", county="410100", grade="D"), args.repeat
            ),
            "list entries page 1": best(
                lambda: get("/api/v1/list/entries/", year=args.year), args.repeat
            ),
        }
        # a last page against the anchor's last page, everything else against its first
        shown = ", ".join(
            f"{k} {v * 1000:.1f} ms ({v / (alast if k.startswith('last') else a1):.1f}x)"
            for k, v in figures.items()
        )
        print(f"{role:8} ({count} visible): {shown}")

    qs = enterprise_list(viewer=users["province"])[:50]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        plan = [row[0] for row in cur.fetchall()]
    print("province page 1 plan:", " | ".join(p.strip() for p in plan[:6]))


if __name__ == "__main__":
    setup_django()
    main()
