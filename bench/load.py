"""Benchmark: fifty users on one machine — the site served by gunicorn (4 workers), each simulated
user a county, city or province account clicking through lists, the review queue and the main
pages with a think time, against a minimal DRF list view served by the same gunicorn with the
same users and think time (the anchor), in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_perf_bench \
        .venv/bin/python bench/load.py [--enterprises 10000] [--seconds 60] [--users 50]

1. Prepares the province as ``export_province.py`` does (seeds if missing; timed).
2. Creates the bench accounts if missing (``bench-load-<role>-NN``: counties of 郑州 — 新郑市
   first —, the city of 郑州, the province), issues each an API token (``core.tokens``), and
   gives each province account a TOTP device whose key the script knows.
3. Starts gunicorn (``config.wsgi``, 4 workers, timeout and max-requests as docker-compose) on
   a free loopback port with ``bench/load_settings.py``: the production settings with DEBUG off,
   plain static URLs, and /bench/minimal/ (the anchor, ``bench/load_urls.py``) beside the site.
   The workers are gthread with 2 threads each (keep-alive; a thread's database wait overlaps
   the other's Python): measured beside docker-compose's sync workers minutes apart on a
   shared machine (load average 5 on 2 cores), 34 against 25 requests a second, site p50 0.40
   against 0.98 s, anchor p95 34 against 63 ms, for the same CPU per request (to be measured
   again on a quiet machine). ``--worker-class sync`` measures sync.
   Nothing is relaxed for plain http: every request carries ``X-Forwarded-Proto: https`` and an
   ``X-Forwarded-For`` address, as the TLS proxy in front of production sends them
   (``BEHIND_PROXY`` is on with DEBUG off, ``TRUSTED_PROXIES=1`` as docker-compose sets it).
4. Logs every account in through the real login page (password; then the province's TOTP code
   on the second-factor page, as the province must), keeping the session cookie.
5. Asks each request of the mix alone, ``--alone`` times in a row per role, and prints the
   median (what it costs without a queue; a page a role may not open is left out of that
   role's mix and named), then runs the users for ``--warmup`` (not recorded) plus
   ``--seconds``: each user, on its own keep-alive connection, picks a request of the mix,
   waits for it, then thinks 0.5–1.5 s. The mix: API enterprises page 1, a random page and
   ``?county=&grade=``; API review cases; API list entries ``?year=``; the inbox, the
   enterprise list, the list entries page, the review queue and the targets dashboard.
6. The same users, the same think time, against /bench/minimal/ (page 1 or a random page).

Prints per category and per role: count, p50, p95, p99, max and errors (status ≥ 400 or no
answer); overall requests per second, p95 and errors; the CPU of the gunicorn processes and of
this database's PostgreSQL backends (from /proc, per cent of one core, and per request), and
how busy the whole machine was; the anchor's figures, the ratio, and the goals. On a machine
other work keeps busy, the latencies measure the queue for the CPU: read the CPU per request
and the ratio. Stops gunicorn (its whole process group) whatever happens, and
deletes the tokens and sessions the run made. The bench accounts are kept.

The review queue holds no case in this seed (no declarations are seeded): the queue figures
are those of an empty queue (the scoping queries and the page itself).
"""

import argparse
import http.client
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

from export_province import prepare  # noqa: E402
from load_stats import CpuSampler, pct, summary, table  # noqa: E402

PASSWORD = "Bench-load-2026!"
PREFIX = "bench-load-"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- the simulated users -----------------------------------------------------------------------


class Session:
    """One user's keep-alive connection, cookies and token, as a browser and an API client."""

    def __init__(self, port: int, name: str, role: str, address: str, token: str) -> None:
        self.port, self.name, self.role, self.token = port, name, role, token
        self.cookies: dict[str, str] = {}
        self.headers = {
            "Host": f"127.0.0.1:{port}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": address,
            "Accept-Encoding": "identity",
            "User-Agent": "bench-load",
        }
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, url: str, *, api: bool = False, form: dict | None = None):
        headers = dict(self.headers)
        body = None
        if api:
            headers["Authorization"] = f"Token {self.token}"
            headers["Accept"] = "application/json"
        else:
            headers["Accept"] = "text/html"
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://127.0.0.1:{self.port}"
            headers["Referer"] = f"https://127.0.0.1:{self.port}{url}"
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                self.conn.request(method, url, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # a kept-alive connection the server closed while idle: asked again on a new
                # one, as a browser does
                self.conn.close()
                if not reused or attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                self.conn.close()  # the next request opens a new connection
                raise
        if not api:
            for raw in resp.msg.get_all("Set-Cookie") or []:
                for key, morsel in SimpleCookie(raw).items():
                    self.cookies[key] = morsel.value
        return resp.status, resp.getheader("Location") or "", data

    def login(self, totp_code=None) -> None:
        """The real login page: the password, then the second factor where the role needs one."""
        status, _, page = self.request("GET", "/accounts/login/")
        assert status == 200, (self.name, "login page", status)
        form = {
            "csrfmiddlewaretoken": CSRF_FIELD.search(page.decode()).group(1),
            "username": self.name,
            "password": PASSWORD,
        }
        status, location, _ = self.request("POST", "/accounts/login/", form=form)
        assert status == 302, (self.name, "password", status)
        if location.endswith("/accounts/login/code/"):
            status, _, page = self.request("GET", location)
            assert status == 200, (self.name, "code page", status)
            form = {
                "csrfmiddlewaretoken": CSRF_FIELD.search(page.decode()).group(1),
                "code": totp_code(),
            }
            status, location, _ = self.request("POST", location, form=form)
            assert status == 302, (self.name, "code", status)
        assert location.endswith("/inbox/"), (self.name, "after login", location)
        assert "sessionid" in self.cookies, (self.name, "no session cookie")


# --- the mix -----------------------------------------------------------------------------------


def build_mix(user, year: int, grades: list[str], counties: list[str]) -> list[tuple]:
    """(category, weight, api?, url maker) for one account; the makers pick random pages."""
    from grading.models import User
    from grading.selectors import enterprise_list

    visible = enterprise_list(viewer=user).count()
    pages = max(1, math.ceil(visible / 50))
    if user.role == User.Role.COUNTY:
        places = [user.region.code]
    elif user.role == User.Role.CITY:
        places = [user.region.code, *counties]
    else:
        places = ["410100", *counties]

    def filtered(rng: random.Random) -> str:
        return "/api/v1/enterprises/?" + urlencode(
            {"county": rng.choice(places), "grade": rng.choice(grades)}
        )

    return [
        ("api enterprises p1", 2, True, lambda rng: "/api/v1/enterprises/?page=1"),
        (
            "api enterprises page",
            2,
            True,
            lambda rng: f"/api/v1/enterprises/?page={rng.randint(1, pages)}",
        ),
        ("api enterprises ?county&grade", 2, True, filtered),
        ("api review cases", 1, True, lambda rng: "/api/v1/review/cases/"),
        ("api list entries", 2, True, lambda rng: f"/api/v1/list/entries/?year={year}"),
        ("page inbox", 2, False, lambda rng: "/inbox/"),
        ("page enterprises", 2, False, lambda rng: "/enterprises/"),
        ("page list entries", 2, False, lambda rng: "/list/"),
        ("page review queue", 1, False, lambda rng: "/review/"),
        ("page dashboard", 1, False, lambda rng: "/publication/dashboard/"),
    ]


def anchor_mix(pages: int) -> list[tuple]:
    return [
        ("anchor p1", 1, True, lambda rng: "/bench/minimal/?page=1"),
        ("anchor page", 1, True, lambda rng: f"/bench/minimal/?page={rng.randint(1, pages)}"),
    ]


def run_users(sessions, mixes, *, warmup: float, seconds: float, think: tuple, seed: int):
    """Every user loops pick → request → think; returns the requests started in the recorded
    window as (start, seconds, status, category, role) and the window (start, end)."""
    records: list[tuple] = []
    stop = threading.Event()
    t0 = time.monotonic()
    window = (t0 + warmup, t0 + warmup + seconds)

    def user_loop(n: int, session: Session, mix: list[tuple]) -> None:
        rng = random.Random(seed * 1000 + n)
        weights = [m[1] for m in mix]
        stop.wait(rng.uniform(0, think[1]))  # the users do not all start at once
        while not stop.is_set() and time.monotonic() < window[1]:
            category, _w, api, url = rng.choices(mix, weights)[0]
            start = time.monotonic()
            try:
                status = session.request("GET", url(rng), api=api)[0]
            except (OSError, http.client.HTTPException):
                status = 0
            took = time.monotonic() - start
            if start >= window[0]:
                records.append((start, took, status, category, session.role))
            stop.wait(rng.uniform(*think))

    threads = [
        threading.Thread(target=user_loop, args=(n, s, m), daemon=True)
        for n, (s, m) in enumerate(zip(sessions, mixes, strict=True))
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        stop.set()
    return records, window


# --- CPU of the server and of PostgreSQL -------------------------------------------------------


def accounts(users: int) -> tuple[list, list[str]]:
    """The bench accounts (created if missing, password and TOTP device reset), 10% province,
    20% city, the rest county users spread over six counties of 郑州 (新郑市 first)."""
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from grading.models import Region, User

    counties = ["410184"] + [
        code
        for code in Region.objects.filter(parent__code="410100")
        .exclude(code="410184")
        .order_by("code")
        .values_list("code", flat=True)[:5]
    ]
    province = max(1, round(users * 0.1))
    city = max(1, round(users * 0.2))
    plan = [("province", "410000")] * province + [("city", "410100")] * city
    plan += [("county", counties[i % len(counties)]) for i in range(users - province - city)]
    regions = {r.code: r for r in Region.objects.filter(code__in={code for _, code in plan})}
    result = []
    for n, (role, code) in enumerate(plan, start=1):
        user, _ = User.objects.get_or_create(
            username=f"{PREFIX}{role}-{n:02d}",
            defaults={"role": role, "region": regions[code], "full_name": f"{role} {n}"},
        )
        user.set_password(PASSWORD)
        user.date_joined = timezone.now()  # the password is not expired (no history row)
        user.is_active = True
        user.save()
        TOTPDevice.objects.filter(user=user).delete()
        if role == "province":
            TOTPDevice.objects.create(user=user, name="totp", confirmed=True)
        result.append(user)
    return result, counties


def totp_for(user):
    """The code the account's authenticator shows when called (its key read now)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)

    def code() -> str:
        return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"

    return code


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, args, log: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="load_settings",
        PYTHONPATH=os.pathsep.join(
            [str(ROOT), str(ROOT / "bench"), *filter(None, [env.get("PYTHONPATH")])]
        ),
        DEBUG="False",
        TRUSTED_PROXIES="1",
    )
    # the site's own server settings (config/gunicorn.py), on a loopback port of its own
    env.update(WEB_BIND=f"127.0.0.1:{port}", WEB_WORKERS=str(args.workers))
    env["WEB_THREADS"] = str(args.threads if args.worker_class == "gthread" else 1)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "config" / "gunicorn.py"),
        "config.wsgi:application",
        "--chdir",
        str(ROOT),
    ]
    # A process group of its own, so that stopping it stops every worker; not a session of its
    # own, which Linux's autogroup scheduling would weigh as one task against the whole machine.
    return subprocess.Popen(command, env=env, stdout=log, stderr=log, process_group=0)


def wait_ready(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn ended at start (exit {proc.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz")


def stop_process_group(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=time.localtime().tm_year)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60, help="recorded, each phase")
    parser.add_argument("--warmup", type=float, default=5, help="not recorded, each phase")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="gthread")
    parser.add_argument("--threads", type=int, default=2, help="per gthread worker")
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5))
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--alone", type=int, default=5, help="each request alone, times per role")
    parser.add_argument("--no-anchor", action="store_true")
    args = parser.parse_args()

    # SIGTERM ends the run as Ctrl-C does: through the finally blocks below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t = time.perf_counter()
    prepare(args.enterprises, args.year)
    print(f"prepare (seed if missing): {time.perf_counter() - t:.1f} s")

    from django.contrib.sessions.models import Session as StoredSession
    from django.db import connection

    from core.models import ApiToken
    from core.tokens import token_issue
    from grading.models import Enterprise
    from grading.selectors import scheme_grades

    users, counties = accounts(args.users)
    grades = [g.code for g in scheme_grades(industry=None)] + ["none"]
    mixes = [build_mix(u, args.year, grades, counties) for u in users]
    tokens = [token_issue(user=u)[0] for u in users]
    codes = [totp_for(u) if u.role == "province" else None for u in users]
    anchor_pages = max(1, math.ceil(Enterprise.objects.count() / 50))
    connection.close()  # the sampler and the clean-up open their own

    port = free_port()
    log, log_name = tempfile.mkstemp(prefix="bench-load-gunicorn-", suffix=".log")
    try:
        proc = start_gunicorn(port, args, log)
    finally:
        os.close(log)  # gunicorn holds its own copy
    sessions: list[Session] = []
    try:
        wait_ready(port, proc)
        workers = f"{args.workers} {args.worker_class} workers"
        if args.worker_class == "gthread":
            workers += f" × {args.threads} threads"
        print(
            f"gunicorn on 127.0.0.1:{port}: {workers}, {os.cpu_count()} CPUs; load average "
            + " ".join(f"{v:.2f}" for v in os.getloadavg())
        )
        sessions = [
            Session(port, u.username, u.role, f"10.14.{n // 250}.{n % 250 + 1}", token)
            for n, (u, token) in enumerate(zip(users, tokens, strict=True))
        ]

        t = time.perf_counter()
        pool = ThreadPoolExecutor(max_workers=args.workers)
        try:
            list(pool.map(Session.login, sessions, codes))
        finally:
            pool.shutdown(cancel_futures=True)  # interrupted: the logins not started are not
        print(
            f"logged in {len(sessions)} users through the login page (province with its TOTP "
            f"code), {args.workers} at a time: {time.perf_counter() - t:.1f} s"
        )

        # each request alone, one after another, once per role; a page the role may not open
        # (401/403/404) leaves that role's mix
        alone = request_alone(sessions, mixes, args.alone)
        for n, session in enumerate(sessions):
            mixes[n] = [m for m in mixes[n] if alone[session.role, m[0]][0] not in (401, 403, 404)]
        left_out = sorted(f"{r}: {c} ({s})" for (r, c), (s, _) in alone.items() if s >= 400)
        odd = sorted(f"{r}: {c} ({s})" for (r, c), (s, _) in alone.items() if s >= 500)
        print("left out of a role's mix: " + (", ".join(left_out) or "none"))
        if odd:
            print("server errors when asked alone (kept in the mix): " + ", ".join(odd))
        roles_seen = [r for r in ("county", "city", "province") if any(k[0] == r for k in alone)]
        print(f"\neach request alone, median of {args.alone} ({' / '.join(roles_seen)}):")
        for category in dict.fromkeys(c for _, c in alone):
            shown = " / ".join(
                f"{alone[r, category][1]:.0f}" if (r, category) in alone else "-"
                for r in roles_seen
            )
            print(f"  {category:32} {shown} ms")

        roles = {r: sum(1 for s in sessions if s.role == r) for r in ("county", "city", "province")}
        print(
            f"\nphase 1, the site: {len(sessions)} users ({roles}), think "
            f"{args.think[0]}–{args.think[1]} s, {args.warmup:.0f} s warm-up + {args.seconds:.0f} s"
        )
        site = measure(proc.pid, sessions, mixes, args)
        table("category", site["records"], key=lambda r: r[3])
        table("role", site["records"], key=lambda r: r[4])
        table("role × API / page", site["records"], key=lambda r: f"{r[4]} {r[3].split()[0]}")
        print()
        site_figures = summary("site", site["records"], site["window"], site["cpu"])
        by_role = {
            role: pct([r[1] * 1000 for r in site["records"] if r[4] == role], 95)
            for role in roles
            if any(r[4] == role for r in site["records"])
        }

        anchor_figures = None
        if not args.no_anchor:
            print(f"\nphase 2, the anchor: the same users on /bench/minimal/ ({anchor_pages} pp.)")
            anchor = measure(proc.pid, sessions, [anchor_mix(anchor_pages)] * len(sessions), args)
            table("category", anchor["records"], key=lambda r: r[3])
            print()
            anchor_figures = summary("anchor", anchor["records"], anchor["window"], anchor["cpu"])

        print()
        if anchor_figures:
            print(
                f"ratio site / anchor: p50 {site_figures['p50'] / anchor_figures['p50']:.1f}x, "
                f"p95 {site_figures['p95'] / anchor_figures['p95']:.1f}x "
                f"({site_figures['p95']:.0f} ms / {anchor_figures['p95']:.0f} ms)"
            )
        met = site_figures["p95"] <= 150 and site_figures["errors"] == 0
        print(
            f"goal: p95 <= 150 ms and 0 errors, {args.users} users, {workers} on "
            f"{os.cpu_count()} cores: p95 {site_figures['p95']:.0f} ms, errors "
            f"{site_figures['errors']} — {'met' if met else 'NOT MET'}"
        )
        if "county" in by_role and "province" in by_role:
            county, province = by_role["county"], by_role["province"]
            print(
                f"goal: a county user's requests do not wait behind the province's: county p95 "
                f"{county:.0f} ms, city p95 {by_role.get('city', float('nan')):.0f} ms, province "
                f"p95 {province:.0f} ms (county / province {county / province:.2f}) — "
                f"{'met' if county <= 150 else 'NOT MET'} (county p95 <= 150 ms)"
            )
        print(
            "load average at the end: "
            + " ".join(f"{v:.2f}" for v in os.getloadavg())
            + " (read the ratio and the CPU per request when the machine was busy)"
        )
    finally:
        for session in sessions:
            session.conn.close()
        stop_process_group(proc)
        tail = Path(log_name).read_text(errors="replace").strip().splitlines()[-15:]
        if any("Traceback" in line or "ERROR" in line for line in tail):
            print("gunicorn log (last lines):\n  " + "\n  ".join(tail))
        Path(log_name).unlink(missing_ok=True)
        keys = [s.cookies["sessionid"] for s in sessions if "sessionid" in s.cookies]
        StoredSession.objects.filter(session_key__in=keys).delete()
        ApiToken.objects.filter(user__username__startswith=PREFIX).delete()
        connection.close()


def request_alone(sessions, mixes, repeat: int) -> dict[tuple, tuple[int, float]]:
    """(role, category) → (status, median ms), asked ``repeat`` times in a row by the first
    user of each role, with nothing else running: what each request costs without a queue."""
    found: dict[tuple, tuple[int, float]] = {}
    for session, mix in zip(sessions, mixes, strict=True):
        for category, _w, api, url in mix:
            if (session.role, category) in found:
                continue
            rng = random.Random(0)
            times, status = [], 0
            for _ in range(repeat):
                start = time.monotonic()
                status = session.request("GET", url(rng), api=api)[0]
                times.append((time.monotonic() - start) * 1000)
            found[session.role, category] = (status, statistics.median(times))
    return found


def measure(master: int, sessions, mixes, args) -> dict:
    sampler = CpuSampler(master, begin=time.monotonic() + args.warmup)
    sampler.thread.start()
    try:
        records, window = run_users(
            sessions,
            mixes,
            warmup=args.warmup,
            seconds=args.seconds,
            think=tuple(args.think),
            seed=args.seed,
        )
    finally:
        cpu = sampler.finish()
    return {"records": records, "window": window, "cpu": cpu}


if __name__ == "__main__":
    main()
