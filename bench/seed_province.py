"""Benchmark: seed a province of N enterprises, then time the scoped list queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_bench \
        .venv/bin/python bench/seed_province.py --enterprises 100000

Prints seconds and peak memory (resident set size) for the seeding, and the time of the first
page of the enterprise list as province, city and county users (the pages the bureaus open
most). The database is migrated first; existing enterprises are kept (the seed is idempotent).
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from grading.models import Enterprise, User  # noqa: E402


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", enterprises=args.enterprises, verbosity=0)
    seeded = time.perf_counter() - started
    print(f"seed_demo --enterprises {args.enterprises}: {seeded:.1f} s, peak {peak_mib():.0f} MiB")
    print(f"enterprises in database: {Enterprise.objects.count()}")
    for username in ("demo-province", "demo-city", "demo-county"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        timings = []
        for _ in range(5):
            t = time.perf_counter()
            response = client.get("/enterprises/", {"page": 3})
            timings.append(time.perf_counter() - t)
            assert response.status_code == 200
        t = time.perf_counter()
        api = client.get("/api/v1/enterprises/", {"page_size": 1000})
        api_time = time.perf_counter() - t
        print(
            f"{username:15} list page: best {min(timings) * 1000:.0f} ms; "
            f"API page of 1000: {api_time * 1000:.0f} ms ({api.json()['count']} visible)"
        )


if __name__ == "__main__":
    main()
