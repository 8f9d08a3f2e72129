"""PostgreSQL restarted under a running site (issue 15, faults): the web process and the
worker recover without being restarted themselves (CONN_HEALTH_CHECKS: a connection cut by
the restart is noticed and replaced before it is used), and an export running at that moment
ends failed with a message (or ready by a retry), never stuck and never with a partial file.

The restart is of a throwaway cluster of this test's own (initdb, pg_ctl) on another port,
loaded from a dump of the test database; the shared cluster is never restarted."""

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings

from tests.faults import OwnPostgres, free_port
from tests.workers import start_worker, wait_for, worker_database_url

REQUIRED = os.environ.get("GRADING_REQUIRE_SERVICES") == "1"
pytestmark = [
    pytest.mark.skipif(not REQUIRED, reason="needs PostgreSQL server binaries and Redis"),
    # The test database is set up (its dump seeds the throwaway cluster) but not written.
    pytest.mark.django_db(transaction=True),
]

ENTERPRISES = 1500
#: Persistent connections, as in production: what the health checks are for.
ENV = {"CONN_MAX_AGE": "60", "JOB_HEARTBEAT_SECONDS": "1", "JOB_STALE_SECONDS": "8"}


@pytest.fixture
def cluster(reference_data, tmp_path):
    """The throwaway cluster holding a copy of the test database (migrated, reference data)
    and a province of enterprises with their list entries."""
    pg = OwnPostgres()
    try:
        pg.init()
        dump = tmp_path / "test.dump"
        source = worker_database_url()
        subprocess.run(
            [str(pg.bin / "pg_dump"), "--format=custom", "--no-owner", f"--file={dump}", source],
            check=True,
            timeout=300,
        )
        subprocess.run(
            [str(pg.bin / "pg_restore"), "--no-owner", "--dbname", pg.url(), str(dump)],
            check=True,
            timeout=300,
        )
        manage(
            pg,
            "from demo.services import enterprises_seed;"
            "from emergency_list.services.bulk import entries_bulk_create;"
            f"enterprises_seed(count={ENTERPRISES}); entries_bulk_create(year=2026)",
        )
        yield pg
    finally:
        pg.destroy()


def manage(pg: OwnPostgres, code: str) -> str:
    """Run ``code`` in ``manage.py shell`` on the throwaway cluster; its printed output."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": pg.url(), "REDIS_URL": settings.REDIS_URL},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def export(pg: OwnPostgres, region: str) -> int:
    """Ask for an export as a province user (the message goes to the real broker)."""
    return int(
        manage(
            pg,
            "from emergency_list.services.jobs import export_request;"
            "from grading.models import Region, User;"
            "u, _ = User.objects.get_or_create(username='fault-province', defaults={"
            "'role': User.Role.PROVINCE, 'region': Region.objects.get(code='410000')});"
            f"print(export_request(actor=u, region=Region.objects.get(code='{region}'),"
            " year=2026).pk)",
        ).splitlines()[-1]
    )


def job(pg: OwnPostgres, pk: int) -> tuple[str, int, str, str]:
    row = pg.query(
        f"select status, progress, file, error from emergency_list_exceljob where id={pk}"
    )
    status, progress, file, error = (row.split("|", 3) + ["", "", "", ""])[:4]
    return status, int(progress or 0), file, error


def start_web(pg: OwnPostgres, log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            **ENV,
            "DATABASE_URL": pg.url(),
            "REDIS_URL": settings.REDIS_URL,
            # DEBUG: static files without a collected manifest; plain HTTP on the test port.
            "DEBUG": "true",
            "HTTPS": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: get(base + "/healthz") == 200, timeout=30, what="the web process")
    return proc, base


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def test_postgresql_restarted_web_and_worker_recover_and_the_running_job_ends(cluster, tmp_path):
    pg = cluster
    with (tmp_path / "web.log").open("wb") as web_log:
        web, base = start_web(pg, web_log)
    worker = start_worker(
        tmp_path / "var", tmp_path / "worker.log", env={**ENV, "DATABASE_URL": pg.url()}
    )
    try:
        page = base + "/public/notices/"
        weblog = tmp_path / "web.log"
        assert get(page) == 200, weblog.read_text(errors="replace")[-3000:]  # a kept connection

        running = export(pg, "410000")
        wait_for(lambda: job(pg, running)[1] > 3, timeout=90, what="the export to run")

        pg.restart()
        restarted = time.monotonic()

        # The web process: its kept connection was cut; the next request still answers.
        assert get(page) == 200, weblog.read_text(errors="replace")[-3000:]

        # The export running at the restart ends: failed with a message or ready by a retry.
        def ended():
            status, _progress, file, error = job(pg, running)
            if status not in ("ready", "failed"):
                assert not file, "a partial file was offered"
                return None
            return status, file, error

        status, file, error = wait_for(ended, timeout=60, what="the running export to end")
        assert time.monotonic() - restarted < 60
        if status == "failed":
            assert error and not file, error
        # The worker, not restarted, takes the next job on a fresh connection.
        again = export(pg, "410184")
        wait_for(
            lambda: job(pg, again)[0] in ("ready", "failed"), timeout=90, what="the next export"
        )
        assert job(pg, again)[0] == "ready", f"{job(pg, again)}\n{worker.text()[-3000:]}"
        assert worker.proc.poll() is None and web.poll() is None
    finally:
        worker.stop()
        web.terminate()
        web.wait(timeout=20)
