"""The archive of a county's plans and signboards on a real worker over the real broker: its
pool child killed by its process id mid-way, the job is delivered again and ends ready (or
failed with a plain message), never 处理中 for good and never with a partial archive offered."""

import hashlib
import io
import os
import signal
import time
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from core.models import JobRun
from emergency_list.models import ExcelJob
from emergency_list.services.bundles import bundle_request, bundle_scratch_path
from emergency_list.services.entries import entry_build
from grading.models import Region, User
from tests import factories
from tests.declaration_builders import ensure_lines
from tests.workers import start_worker, wait_for

REQUIRED = os.environ.get("GRADING_REQUIRE_SERVICES") == "1"
pytestmark = [
    pytest.mark.skipif(not REQUIRED, reason="needs PostgreSQL, Redis and a Celery worker"),
    pytest.mark.django_db(transaction=True),
]

YEAR = timezone.localdate().year
ENTRIES = 20  # two PDFs each: long enough to kill the archive half-way
WORKER_ENV = {"JOB_HEARTBEAT_SECONDS": "1", "JOB_STALE_SECONDS": "6"}


@pytest.fixture
def county_list(reference_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    for i in range(ENTRIES):
        ent = factories.enterprise(
            county="410184",
            industry="N31",
            name=f"打包{i:02d}印务有限公司",
            emissions=[{"so2_tpa": 3, "nox_tpa": 6, "pm_tpa": 1.5, "vocs_tpa": 9}],
        )
        ensure_lines(ent)
        entry_build(year=YEAR, enterprise=ent)
    return Region.objects.get(code="410184")


def test_a_bundle_whose_pool_child_is_killed_ends_by_a_retry_without_a_partial_file(
    county_list, tmp_path
):
    worker = start_worker(tmp_path / "var", tmp_path / "worker.log", env=WORKER_ENV)
    try:
        actor = factories.staff_user(User.Role.COUNTY, "410184")
        job = bundle_request(actor=actor, county=county_list, year=YEAR)

        def started():
            run = JobRun.objects.filter(object_id=str(job.pk), task_name__endswith="bundle").first()
            progress = ExcelJob.objects.get(pk=job.pk).progress
            return run if run and run.state == "running" and run.worker and progress > 5 else None

        run = wait_for(started, timeout=120, interval=0.2, what="the archive to be half-way")
        assert not ExcelJob.objects.get(pk=job.pk).file, "no file while it runs"
        pid = int(run.worker.rsplit(":", 1)[1])
        assert pid != worker.pid
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)

        def ended():
            j = ExcelJob.objects.get(pk=job.pk)
            if j.status not in (ExcelJob.Status.READY, ExcelJob.Status.FAILED):
                assert not j.file, "a partial archive was offered"
                return None
            return j

        done = wait_for(ended, timeout=180, interval=0.2, what="the archive to end")
        assert done.status == ExcelJob.Status.READY, f"{done.error}\n{worker.text()[-3000:]}"
        assert time.monotonic() - killed_at < 180
        run = JobRun.objects.get(pk=run.pk)
        assert run.attempts == 2 and run.state == JobRun.State.SUCCEEDED
        with default_storage.open(done.file.name, "rb") as fh:
            data = fh.read()
        assert hashlib.sha256(data).hexdigest() == done.sha256
        assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 2 * ENTRIES
        assert not bundle_scratch_path(job.pk).exists(), "scratch file removed"
    finally:
        worker.stop()
