"""Background jobs always end (core.jobs), tried on a real worker over the real broker: a
province-wide list export whose worker is killed by its process id ends ready by a retry or
failed with a plain message, never 处理中 for good and never with a partial file; and another
connection sees its progress move while the export's own transaction is still open."""

import hashlib
import os
import signal
import time

import pytest
from django.core.files.storage import default_storage

from core import jobs
from core.models import JobRun
from demo.services import enterprises_seed
from emergency_list.models import ExcelJob
from emergency_list.services.bulk import entries_bulk_create
from emergency_list.services.jobs import export_request
from emergency_list.tasks.excel import export_temp_path
from grading.models import Region, User
from tests import factories
from tests.workers import start_worker, wait_for

REQUIRED = os.environ.get("GRADING_REQUIRE_SERVICES") == "1"
pytestmark = [
    pytest.mark.skipif(not REQUIRED, reason="needs PostgreSQL, Redis and a Celery worker"),
    pytest.mark.django_db(transaction=True),
]

YEAR = 2026
ENTERPRISES = 2000  # the province export then takes ~10 s here: long enough to kill it
STALE = 6  # JOB_STALE_SECONDS of this test (production: 90)
#: The worker's settings: a heartbeat every second, a short stale time.
WORKER_ENV = {"JOB_HEARTBEAT_SECONDS": "1", "JOB_STALE_SECONDS": str(STALE)}


@pytest.fixture
def province_list(reference_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.JOB_STALE_SECONDS = STALE
    enterprises_seed(count=ENTERPRISES)
    assert entries_bulk_create(year=YEAR) == ENTERPRISES
    return Region.objects.get(level=Region.Level.PROVINCE)


def job(pk: int) -> ExcelJob:
    return ExcelJob.objects.get(pk=pk)


def run_of(pk: int) -> JobRun | None:
    return JobRun.objects.filter(task_name__endswith="export_list", object_id=str(pk)).first()


def child_pid(pk: int) -> int:
    """The pool process running the job, as its run records it (host:pid)."""
    run = wait_for(
        lambda: (r := run_of(pk)) and r.state == JobRun.State.RUNNING and r.worker and r,
        timeout=60,
        what="the export to start",
    )
    return int(run.worker.rsplit(":", 1)[1])


def test_progress_moves_for_other_connections_and_a_killed_child_is_retried(
    province_list, tmp_path
):
    province = province_list
    worker = start_worker(tmp_path / "var", tmp_path / "worker.log", env=WORKER_ENV)
    try:
        actor = factories.staff_user(User.Role.PROVINCE, "410000")
        exported = export_request(actor=actor, region=province, year=YEAR)

        # This test's connection is another connection: it sees progress move while the
        # export reads inside its one REPEATABLE READ transaction.
        seen: list[int] = []

        def moving():
            p = job(exported.pk).progress
            if 1 < p < 99 and p not in seen:
                seen.append(p)
            return len(seen) >= 3

        wait_for(moving, timeout=90, interval=0.1, what=f"progress to move (saw {seen})")
        assert seen == sorted(seen)
        assert job(exported.pk).status == ExcelJob.Status.RUNNING
        assert not job(exported.pk).file, "no file is offered while the export runs"

        pid = child_pid(exported.pk)
        assert pid != worker.pid, "the job runs in a pool child"
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)

        # Rejected on worker lost, delivered again, the export runs a second time.
        def ended():
            j = job(exported.pk)
            if j.status not in (ExcelJob.Status.READY, ExcelJob.Status.FAILED):
                assert not j.file, "a partial file was offered"
                return None
            return j

        done = wait_for(ended, timeout=120, interval=0.2, what="the export to end")
        assert done.status == ExcelJob.Status.READY, f"{done.error}\n{worker.text()[-3000:]}"
        assert time.monotonic() - killed_at < 120
        run = run_of(exported.pk)
        assert run.attempts == 2 and run.state == JobRun.State.SUCCEEDED
        assert int(run.worker.rsplit(":", 1)[1]) != pid
        with default_storage.open(done.file.name, "rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == done.sha256
        assert done.rows > ENTERPRISES
        assert not export_temp_path(exported.pk).exists(), "temporary file removed"
    finally:
        worker.stop()


def test_a_worker_killed_whole_fails_the_job_by_its_heartbeat(province_list, tmp_path):
    """The machine gone: no worker left to reject the message. The beat task fails the job
    once its heartbeat stops; the message delivered again later changes nothing."""
    province = province_list
    log = tmp_path / "worker.log"
    worker = start_worker(tmp_path / "var", log, env=WORKER_ENV)
    try:
        actor = factories.staff_user(User.Role.PROVINCE, "410000")
        exported = export_request(actor=actor, region=province, year=YEAR)
        child_pid(exported.pk)
        wait_for(lambda: job(exported.pk).progress > 5, timeout=60, what="progress")
        task_id = run_of(exported.pk).task_id
        worker.kill_all()
        killed_at = time.monotonic()

        assert job(exported.pk).status == ExcelJob.Status.RUNNING
        # What beat runs every minute; here called until the heartbeat is stale.
        wait_for(
            lambda: jobs.stalled_jobs_fail() or job(exported.pk).status == "failed",
            timeout=STALE + 30,
            interval=1,
            what="the stalled job to be failed",
        )
        failed = job(exported.pk)
        assert time.monotonic() - killed_at < STALE + 30
        assert failed.status == ExcelJob.Status.FAILED
        assert failed.error == jobs.WORKER_LOST
        assert not failed.file and failed.progress == 0
        assert run_of(exported.pk).state == JobRun.State.LOST
        assert not export_temp_path(exported.pk).exists(), "temporary file removed"
    finally:
        worker.stop()

    # A new worker with a short visibility timeout gets the unacknowledged message again:
    # the run was ended, so the delivery does nothing.
    again = start_worker(
        tmp_path / "var",
        tmp_path / "worker2.log",
        env={**WORKER_ENV, "BROKER_VISIBILITY_TIMEOUT": "3"},
    )
    try:
        wait_for(
            lambda: again.text().count(task_id) >= 2,  # received and succeeded (skipped)
            timeout=60,
            interval=0.5,
            what="the message to be delivered again",
        )
        failed = job(exported.pk)
        assert failed.status == ExcelJob.Status.FAILED and not failed.file
        assert run_of(exported.pk).attempts == 1
    finally:
        again.stop()
