"""core.jobs in-process: a run whose heartbeat stopped ends its job failed with a plain
message; a late copy of its message does nothing; a delivery past the attempt limit fails the
job; a job the broker refuses to queue fails instead of waiting; an import out of memory says
so. The same on a real worker: tests/test_jobs_worker.py."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError
from django.utils import timezone

from config.celery import app
from core import jobs
from core.models import JobRun
from emergency_list.models import ExcelJob
from emergency_list.services.jobs import export_request
from emergency_list.tasks import excel as excel_tasks
from grading.models import Region, User
from review.models import ApprovalForm
from tests import factories

pytestmark = pytest.mark.django_db

EXPORT = "emergency_list.tasks_excel.export_list"


@pytest.fixture
def province_job():
    actor = factories.staff_user(User.Role.PROVINCE, "410000")
    return ExcelJob.objects.create(
        kind=ExcelJob.Kind.EXPORT,
        region=Region.objects.get(code="410000"),
        year=2026,
        requested_by=actor,
        status=ExcelJob.Status.RUNNING,
        progress=40,
    )


def run_for(job, *, ago: int, task_id: str = "t-1", state=JobRun.State.RUNNING, attempts=1):
    return JobRun.objects.create(
        content_type=ContentType.objects.get_for_model(job),
        object_id=str(job.pk),
        task_name=EXPORT,
        task_id=task_id,
        state=state,
        attempts=attempts,
        heartbeat_at=timezone.now() - timedelta(seconds=ago),
    )


def test_a_run_whose_heartbeat_stopped_fails_its_job(province_job, settings):
    settings.JOB_STALE_SECONDS = 90
    run = run_for(province_job, ago=300)
    assert jobs.stalled_jobs_fail() == 1
    province_job.refresh_from_db()
    assert province_job.status == ExcelJob.Status.FAILED
    assert province_job.error == jobs.WORKER_LOST
    assert province_job.progress == 0 and not province_job.file
    assert province_job.finished_at is not None
    run.refresh_from_db()
    assert run.state == JobRun.State.LOST and run.finished_at
    assert jobs.stalled_jobs_fail() == 0  # once


def test_a_live_run_and_an_ended_job_are_left_alone(province_job, settings):
    settings.JOB_STALE_SECONDS = 90
    run_for(province_job, ago=10)
    assert jobs.stalled_jobs_fail() == 0
    province_job.refresh_from_db()
    assert province_job.status == ExcelJob.Status.RUNNING

    JobRun.objects.update(heartbeat_at=timezone.now() - timedelta(hours=1))
    ExcelJob.objects.filter(pk=province_job.pk).update(status=ExcelJob.Status.READY, progress=100)
    jobs.stalled_jobs_fail()
    province_job.refresh_from_db()
    assert province_job.status == ExcelJob.Status.READY and province_job.progress == 100


def test_a_late_copy_of_an_ended_runs_message_does_nothing(province_job):
    run_for(province_job, ago=300, task_id="t-9", state=JobRun.State.LOST)
    ExcelJob.objects.filter(pk=province_job.pk).update(
        status=ExcelJob.Status.FAILED, error=jobs.WORKER_LOST
    )
    result = excel_tasks.export_list.apply(args=(province_job.pk,), task_id="t-9")
    assert result.get() == ""
    province_job.refresh_from_db()
    assert province_job.status == ExcelJob.Status.FAILED and not province_job.file
    assert JobRun.objects.get().attempts == 1


def test_a_delivery_past_the_attempt_limit_fails_the_job(province_job, settings):
    settings.JOB_MAX_ATTEMPTS = 3
    run_for(province_job, ago=5, task_id="t-3", attempts=3)
    excel_tasks.export_list.apply(args=(province_job.pk,), task_id="t-3")
    province_job.refresh_from_db()
    assert province_job.status == ExcelJob.Status.FAILED
    assert province_job.error == jobs.TOO_MANY_ATTEMPTS
    run = JobRun.objects.get()
    assert run.state == JobRun.State.FAILED and run.attempts == 4


def test_a_new_message_for_the_same_job_runs_again(province_job):
    """A re-request has a new task id: an earlier lost run does not stop it."""
    run_for(province_job, ago=300, task_id="old", state=JobRun.State.LOST)
    excel_tasks.export_list.apply(args=(province_job.pk,), task_id="new")
    province_job.refresh_from_db()
    assert province_job.status == ExcelJob.Status.READY
    run = JobRun.objects.get()
    assert run.state == JobRun.State.SUCCEEDED and run.attempts == 1 and run.task_id == "new"


def test_a_job_the_broker_refuses_fails_with_a_message(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # broker_check passes; the queueing then fails

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(excel_tasks.export_list, "delay", refuse)
    actor = factories.staff_user(User.Role.COUNTY, "410184")
    with django_capture_on_commit_callbacks(execute=True):
        job = export_request(actor=actor, region=Region.objects.get(code="410184"), year=2026)
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.FAILED and job.error == jobs.BROKER_DOWN


def test_an_import_out_of_memory_fails_with_a_message(monkeypatch, settings):
    county = Region.objects.get(code="410184")
    actor = factories.staff_user(User.Role.COUNTY, "410184")
    job = ExcelJob(kind=ExcelJob.Kind.IMPORT, region=county, year=2026, requested_by=actor)
    from django.core.files.base import ContentFile

    job.upload.save("a.xlsx", ContentFile(b"PK\x03\x04"), save=False)
    job.save()

    def grow(**kwargs):
        raise MemoryError

    monkeypatch.setattr(excel_tasks, "import_validate", grow)
    with pytest.raises(MemoryError):
        excel_tasks.import_list.apply(args=(job.pk, False)).get()
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.FAILED and job.error == jobs.OUT_OF_MEMORY
    assert JobRun.objects.get().state == JobRun.State.FAILED
    assert not list(excel_tasks.work_dir().glob(f"list-import-{job.pk}.*"))


def test_every_job_task_registers_what_failed_means_for_its_row():
    app.loader.import_default_modules()
    kind = jobs.KINDS["review.tasks.render_approval_form"]
    assert kind.model is ApprovalForm
    assert set(jobs.KINDS) >= {
        EXPORT,
        "emergency_list.tasks_excel.import_list",
        "declarations.tasks.render_package",
        "review.tasks.render_approval_form",
        "review.tasks.render_case_form",
        "review.bundle_tasks.render_bundle",
        "publication.tasks.render_export",
        "publication.tasks.render_version_file",
    }


def test_a_task_that_declares_retries_retries_a_passing_fault(monkeypatch):
    """A render that meets a database restart runs again (autoretry_for with backoff) and the
    retry is not counted as a delivery lost with its worker."""
    from review.tasks import approval_forms

    calls = []

    def flaky(pk):
        calls.append(pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return "sha"

    monkeypatch.setattr(approval_forms, "approval_form_render", flaky)
    with pytest.raises(Retry):  # autoretry_for: queued again after a backoff
        approval_forms.render_approval_form.apply(args=(424242,), task_id="r-1")
    run = JobRun.objects.get(object_id="424242")
    assert run.state == JobRun.State.RUNNING and run.heartbeat_at > timezone.now()
    # the retry, delivered with the same task id
    again = approval_forms.render_approval_form.apply(args=(424242,), task_id="r-1", retries=1)
    assert again.get() == "sha" and len(calls) == 2
    run.refresh_from_db()
    assert run.state == JobRun.State.SUCCEEDED and run.attempts == 1
