"""Benchmark: approval forms (审核意见表) rendered by a real Celery worker, against WeasyPrint
alone on the very same HTML, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_forms \
    REDIS_URL=redis://127.0.0.1:6379/11 \
        .venv/bin/python bench/forms.py [--forms 40] [--rounds 3]

Use a database and a Redis database number of your own: the script purges the ``forms`` and
``documents`` queues of that Redis database.

1. Migrates, loads the reference data if missing, and seeds ``--forms`` declarations if fewer
   exist: enterprises of 新郑市 registered, declared as grade C with evidence for every
   indicator, submitted, opened for first review and recommended by a county group (a county
   reviewer and an expert) with a verdict on every indicator, all through the services; the
   seed is timed and printed. The opinions' forms are not rendered by the seed.
2. Starts ``celery -A config worker`` with 2 pool processes on the ``forms`` queue (its own
   process group), waits until it answers a ping, and warms it with two forms.
3. Each round: the project asks for one form per opinion (``approval_form_request``, one
   transaction each, so the task is queued on commit as a page does) and waits until the
   worker has rendered every one; time from the first request to the last ``rendered_at``.
   Then the anchor: the same forms' HTML, rendered once per form in this process from the
   same template and context, is written to PDF by ``weasyprint.HTML(...).write_pdf()`` in a
   ``multiprocessing`` pool of 2 processes (warmed first); time of the pool's map.
4. Prints documents per second for each, the ratio (goal: project >= 0.9 of the anchor), the
   page counts and sizes of both PDFs, and the worker's peak memory (resident set of its main
   process and its pool children, sampled while it renders, and each process's own peak).

The forms a run creates (rows, files and job runs) are deleted, as are any the seed left, so
every run asks for revision 1 of each form and records no audit event; the worker is stopped
(by its process id) and the pool closed at the end.
"""

import argparse
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
# The forms go to the broker and a real worker renders them; nothing runs in-process.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"

QUEUE = "forms"
CONCURRENCY = 2
READY_TIMEOUT = 60
PREFIX = "bench-forms"
COUNTY = "410184"  # 新郑市
USCC_OFFSET = 20_000_000  # far from the demo seed's enterprise numbers


def setup_django() -> None:
    import django

    django.setup()


# --- memory of a process tree (/proc) ----------------------------------------------------------


def _status_kib(pid: int, field: str, source: str = "status") -> int:
    try:
        with open(f"/proc/{pid}/{source}") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


class TreeMemory:
    """Memory of a process and its children: the sum of their proportional set sizes (pages
    shared after fork counted once), sampled, and each process's own peak resident set."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_sum_kib = 0
        self.peaks: dict[int, int] = {}

    def pids(self) -> list[int]:
        return [self.pid, *_children(self.pid)]

    def sample(self) -> None:
        pids = self.pids()
        total = sum(_status_kib(p, "Pss", "smaps_rollup") for p in pids)
        self.peak_sum_kib = max(self.peak_sum_kib, total)
        for p in pids:
            self.peaks[p] = max(self.peaks.get(p, 0), _status_kib(p, "VmHWM"))


# --- seed --------------------------------------------------------------------------------------


def _user(username: str, **fields):
    from grading.models import User
    from grading.services.accounts import user_create

    user = User.objects.filter(username=username).first()
    return user or user_create(actor=None, username=username, password="Bench@2026x", **fields)


def bench_opinions(limit: int) -> list:
    from review.models import Opinion

    return list(
        Opinion.objects.filter(
            kind=Opinion.Kind.FIRST_REVIEW, signed_by__username=f"{PREFIX}-county"
        ).order_by("pk")[:limit]
    )


def _seed_one(i: int, *, admin, county_user, expert) -> None:
    """One enterprise's C declaration, submitted and recommended by the county group."""
    from django.db import transaction

    from demo.services import demo_uscc
    from grading.models import Enterprise, Grade, Industry, Region, User
    from grading.services.enterprises import IndustryEntry, enterprise_create
    from review.services.decisions import first_review_open, review_sign
    from tests import declaration_builders as builders

    uscc = demo_uscc(COUNTY, USCC_OFFSET + i)
    with transaction.atomic():  # all or nothing: a rerun after an interruption starts clean
        enterprise = Enterprise.objects.filter(uscc=uscc).first() or enterprise_create(
            actor=admin,
            data={
                "name": f"新郑市基准{i + 1}号彩印包装有限公司",
                "uscc": uscc,
                "county": Region.objects.get(code=COUNTY),
                "legal_representative": "王建国",
            },
            industries=[IndustryEntry(industry=Industry.objects.get(code="N31"))],
        )
        user = _user(f"{PREFIX}-ent-{i}", role=User.Role.ENTERPRISE, enterprise=enterprise)
        declaration = builders.complete(builders.draft(user, grade="C"), user)
        from declarations.services import lifecycle

        lifecycle.declaration_submit(actor=user, declaration=declaration)
        case = first_review_open(actor=county_user, declaration=declaration)
        verdicts = {
            row.pk: ("meets", f"{row.category.name}符合C级要求")
            for row in declaration.indicator_rows.filter(applicable=True)
        }
        review_sign(
            actor=county_user,
            case=case,
            decision="recommend",
            summary=(
                "初审小组对企业申报材料进行了审核，并查阅了环评批复、验收及排污许可等手续。"
                "企业各项差异化指标均达到C级要求，证明材料齐全。"
            ),
            conclusion="同意该企业按C级上报市级审核。",
            signers=[county_user, expert],
            grade=Grade.objects.get(code="C"),
            verdicts=verdicts,
        )


def prepare(forms: int) -> None:
    from django.core.management import call_command

    from grading.models import Industry, Region, User

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        call_command("load_reference", verbosity=0)
    admin = _user(f"{PREFIX}-admin", role=User.Role.ADMIN)
    county_user = _user(
        f"{PREFIX}-county",
        role=User.Role.COUNTY,
        full_name="赵县审",
        region=Region.objects.get(code=COUNTY),
    )
    expert = _user(
        f"{PREFIX}-expert",
        role=User.Role.EXPERT,
        full_name="孙专家",
        expert={
            "employer": "河南省环境保护科学研究院",
            "title": "正高级工程师",
            "industries": list(Industry.objects.filter(code="N31")),
        },
    )
    have = len(bench_opinions(forms))
    if have < forms:
        t = time.perf_counter()
        for i in range(have, forms):
            _seed_one(i, admin=admin, county_user=county_user, expert=expert)
        print(
            f"seeded {forms - have} declarations with a signed first review in "
            f"{time.perf_counter() - t:.1f} s"
        )
    print(f"opinions with an approval form: {len(bench_opinions(forms))}")


# --- forms of the run: ask, wait, remove ---------------------------------------------------------


def forms_remove(opinions: list) -> int:
    """Delete every form of ``opinions`` with its file and job run (what runs and the seed
    created), so that the next request is revision 1 again."""
    from django.contrib.contenttypes.models import ContentType

    from core.models import JobRun
    from review.models import ApprovalForm

    rows = list(ApprovalForm.objects.filter(opinion__in=opinions))
    for form in rows:
        if form.file:
            form.file.delete(save=False)
    JobRun.objects.filter(
        content_type=ContentType.objects.get_for_model(ApprovalForm),
        object_id__in=[str(f.pk) for f in rows],
    ).delete()
    ApprovalForm.objects.filter(pk__in=[f.pk for f in rows]).delete()
    return len(rows)


def forms_request(opinions: list, actor) -> list[int]:
    from django.db import transaction

    from review.services.forms import approval_form_request

    pks = []
    for opinion in opinions:
        with transaction.atomic():  # queued on commit, one request each as from the page
            pks.append(approval_form_request(actor=actor, opinion=opinion).pk)
    return pks


def forms_wait(pks: list[int], memory: TreeMemory | None, timeout: float) -> list:
    from review.models import ApprovalForm

    done = (ApprovalForm.Status.READY, ApprovalForm.Status.FAILED)
    deadline = time.monotonic() + timeout
    sampled = 0.0
    # The parent shares the two cores with the worker: it looks lightly (a status query every
    # 0.25 s, the worker's memory once a second; reading smaps costs the kernel time).
    while True:
        if memory is not None and time.monotonic() - sampled >= 1:
            memory.sample()
            sampled = time.monotonic()
        if not ApprovalForm.objects.filter(pk__in=pks).exclude(status__in=done).exists():
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"forms not rendered after {timeout:.0f} s")
        time.sleep(0.25)
    if memory is not None:
        memory.sample()
    rows = list(ApprovalForm.objects.filter(pk__in=pks))
    failed = [r for r in rows if r.status != ApprovalForm.Status.READY]
    if failed:
        raise SystemExit(f"{len(failed)} forms failed: {failed[0].error}")
    return rows


# --- the worker --------------------------------------------------------------------------------


def queues_purge(queues: tuple[str, ...]) -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        for queue in queues:
            conn.default_channel.queue_purge(queue)


def worker_start(log: Path) -> tuple[subprocess.Popen, str]:
    from django.conf import settings

    from config.celery import app

    env = {**os.environ, "VAR_DIR": str(settings.VAR_DIR)}
    env.pop("CELERY_TASK_ALWAYS_EAGER")
    name = f"{PREFIX}-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
             f"--concurrency={CONCURRENCY}", "--loglevel=warning", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-Q", QUEUE, "-n", name],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + READY_TIMEOUT
    while not app.control.ping(destination=[name], timeout=1):
        if proc.poll() is not None or time.monotonic() > deadline:
            worker_stop(proc)
            raise SystemExit(f"the worker did not start:\n{log.read_text(errors='replace')}")
    return proc, name


def worker_stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()  # warm shutdown: the pool children end with it
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# --- the anchor: WeasyPrint alone ----------------------------------------------------------------


def form_html(form) -> str:
    from django.template.loader import render_to_string

    from review.services.rendering import TEMPLATE, TEMPLATES, approval_form_context

    return render_to_string(TEMPLATES.get(form.opinion.kind, TEMPLATE), approval_form_context(form))


def _pool_write_pdf(args: tuple[str, str]) -> int:
    from weasyprint import HTML

    html, base_url = args
    return len(HTML(string=html, base_url=base_url).write_pdf())


def pdf_pages(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        info = subprocess.run(["pdfinfo", fh.name], capture_output=True, text=True).stdout
    return int(
        next((line.split()[1] for line in info.splitlines() if line.startswith("Pages:")), 0)
    )


# --- parent --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--forms", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("set REDIS_URL to a Redis database of your own (redis://…/11)")
    setup_django()
    from weasyprint import HTML
    from weasyprint.text.ffi import harfbuzz_subset

    from core.documents import static_base_url
    from grading.models import User
    from review.models import ApprovalForm

    if harfbuzz_subset is None:
        raise SystemExit("libharfbuzz-subset0 is missing: WeasyPrint would be ~38x slower")
    t = time.perf_counter()
    prepare(args.forms)
    print(f"prepare (seed if missing): {time.perf_counter() - t:.1f} s")
    opinions = bench_opinions(args.forms)
    actor = User.objects.get(username=f"{PREFIX}-county")
    forms_remove(opinions)
    queues_purge((QUEUE, "documents"))  # what the seed queued (its forms and packages)

    base_url = static_base_url()
    log = Path(tempfile.mkstemp(prefix="bench-forms-worker-", suffix=".log")[1])
    pool = multiprocessing.get_context("fork").Pool(CONCURRENCY)
    proc, _name = worker_start(log)
    memory = TreeMemory(proc.pid)
    results = []
    try:
        # warm both sides: each pool process (and each worker child) renders a form first
        forms_wait(forms_request(opinions[:CONCURRENCY], actor), None, args.timeout)
        forms_remove(opinions)
        for round_no in range(1, args.rounds + 1):
            cpu = cpu_seconds(memory.pids())
            started = time.time()
            pks = forms_request(opinions, actor)
            rows = forms_wait(pks, memory, args.timeout)
            project_s = max(r.rendered_at.timestamp() for r in rows) - started
            project_cpu = cpu_seconds(memory.pids()) - cpu
            project_bytes = [r.file.size for r in rows]
            with rows[0].file.open("rb") as fh:
                first_pdf = fh.read()

            t = time.perf_counter()
            htmls = [
                (form_html(f), base_url)
                for f in ApprovalForm.objects.filter(pk__in=pks).select_related(
                    "opinion__case__declaration__enterprise",
                    "opinion__case__declaration__industry",
                    "opinion__case__declaration__requested_grade",
                    "opinion__case__version",
                )
            ]
            html_s = time.perf_counter() - t
            if round_no == 1:
                pool.map(_pool_write_pdf, htmls[:CONCURRENCY], chunksize=1)  # warm
            pool_pids = [p.pid for p in pool._pool]
            cpu = cpu_seconds(pool_pids)
            t = time.perf_counter()
            anchor_bytes = pool.map(_pool_write_pdf, htmls, chunksize=1)
            anchor_s = time.perf_counter() - t
            anchor_cpu = cpu_seconds(pool_pids) - cpu
            memory.sample()
            first_html = htmls[0]
            forms_remove(opinions)
            n = len(rows)
            results.append((project_s, anchor_s, project_cpu / n, anchor_cpu / n))
            print(
                f"round {round_no}: worker {n} forms in {project_s:.2f} s "
                f"({n / project_s:.2f} docs/s); WeasyPrint alone {anchor_s:.2f} s "
                f"({n / anchor_s:.2f} docs/s); ratio {anchor_s / project_s:.2f} "
                f"(HTML of the anchor made in this process: {html_s:.2f} s, not counted); CPU per "
                f"document: worker {project_cpu / n:.3f} s, anchor {anchor_cpu / n:.3f} s"
            )
        pool_peaks = [_status_kib(p.pid, "VmHWM") for p in pool._pool]
    finally:
        worker_stop(proc)
        pool.close()
        pool.join()
        forms_remove(opinions)
        log.unlink(missing_ok=True)
    n = len(opinions)
    best_p = min(r[0] for r in results)
    best_a = min(r[1] for r in results)
    cpu_p = min(r[2] for r in results)
    cpu_a = min(r[3] for r in results)
    anchor_pdf = HTML(string=first_html[0], base_url=base_url).write_pdf()
    print(
        f"PDF: worker {pdf_pages(first_pdf)} page(s), anchor {pdf_pages(anchor_pdf)}; "
        f"mean size worker "
        f"{sum(project_bytes) / len(project_bytes) / 1024:.0f} KiB, anchor "
        f"{sum(anchor_bytes) / len(anchor_bytes) / 1024:.0f} KiB"
    )
    print(f"worker (celery, {CONCURRENCY} processes): best {n / best_p:.2f} docs/s")
    print(f"WeasyPrint alone (pool of {CONCURRENCY}):   best {n / best_a:.2f} docs/s")
    print(
        f"ratio project/anchor (docs/s, best/best): {best_a / best_p:.2f}; per round: "
        + ", ".join(f"{r[1] / r[0]:.2f}" for r in results)
        + " (goal >= 0.9)"
    )
    print(
        f"CPU per document (least of the rounds): worker {cpu_p:.3f} s (its main process and "
        f"pool children), anchor {cpu_a:.3f} s; anchor/worker {cpu_a / cpu_p:.2f}"
    )
    children = sorted(
        (kib for pid, kib in memory.peaks.items() if pid != memory.pid), reverse=True
    )[:CONCURRENCY]
    print(
        f"worker memory: peak {memory.peak_sum_kib / 1024:.0f} MiB in all (proportional set "
        f"size, sampled); main process peak {memory.peaks.get(memory.pid, 0) / 1024:.0f} MiB, "
        f"pool children peaks {', '.join(f'{k / 1024:.0f}' for k in children)} MiB; "
        f"anchor pool processes peaks {', '.join(f'{k / 1024:.0f}' for k in pool_peaks)} MiB"
    )


if __name__ == "__main__":
    main()
