"""The list's newer background jobs under ``core.jobs`` (issue 10 item 4): the archive of plans
and signboards, the version comparison, an entry's documents, compiling a county's list and the
alert computation. For each: a failure mid-way leaves the job failed with a plain message and no
file (nor scratch file), a run whose heartbeat stopped is failed by ``stalled_jobs_fail``, and
the page that shows the job says so (处理中 n%, 失败 with the message)."""

import datetime
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from core import jobs
from core.models import JobRun
from emergency_list.models import Alert, AlertLevel, ExcelJob, ListEntry
from emergency_list.services import bundles as bundle_services
from emergency_list.services.documents import documents_request
from emergency_list.services.entries import entry_build
from emergency_list.tasks import alerts as alert_tasks
from emergency_list.tasks import bundles as bundle_tasks
from emergency_list.tasks import documents as document_tasks
from emergency_list.tasks import lists as list_tasks
from emergency_list.tasks import versions as version_tasks
from emergency_list.tasks.retry import TRANSIENT
from grading.models import Region
from tests import factories
from tests.declaration_builders import ensure_lines

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
EMISSIONS = [{"so2_tpa": 3, "nox_tpa": 6, "pm_tpa": 1.5, "vocs_tpa": 9}]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.JOB_STALE_SECONDS = 90


def _entry(name="任务印务有限公司", county="410184") -> ListEntry:
    ent = factories.enterprise(county=county, industry="N31", name=name, emissions=EMISSIONS)
    ensure_lines(ent)
    return entry_build(year=YEAR, enterprise=ent)


def _job(user, kind, **extra) -> ExcelJob:
    return ExcelJob.objects.create(
        kind=kind, region=Region.objects.get(code="410184"), year=YEAR, requested_by=user, **extra
    )


def _stalled_run(model, object_id, task_name, *, ago=300) -> JobRun:
    return JobRun.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(object_id),
        task_name=task_name,
        task_id="t-1",
        heartbeat_at=timezone.now() - timedelta(seconds=ago),
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _stored(folder: str) -> list[str]:
    path = Path(settings.MEDIA_ROOT) / folder
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


def test_each_job_task_is_registered_and_retries_passing_faults():
    for task, name in (
        (bundle_tasks.build_bundle, bundle_tasks.BUNDLE_TASK),
        (version_tasks.export_version_diff, version_tasks.DIFF_TASK),
        (document_tasks.render_entry_documents, document_tasks.DOCUMENTS_TASK),
        (list_tasks.generate_list, list_tasks.GENERATE_TASK),
        (alert_tasks.compute_alert, alert_tasks.ALERT_TASK),
    ):
        assert name in jobs.KINDS and task.name == name
        assert tuple(task.autoretry_for) == TRANSIENT and task.retry_backoff
        assert task.acks_late


# --- the archive of plans and signboards ------------------------------------------------------


def test_bundle_failing_mid_way_fails_the_job_with_no_file(county_user, monkeypatch):
    _entry("甲印务有限公司")
    _entry("乙印务有限公司")
    original, calls = bundle_services._current_document, []

    def second_fails(entry, kind):
        calls.append(kind)
        if len(calls) == 3:
            assert bundle_services.bundle_scratch_path(job.pk).exists()  # written meanwhile
            raise RuntimeError("disk full")
        return original(entry, kind)

    monkeypatch.setattr(bundle_services, "_current_document", second_fails)
    job = _job(county_user, ExcelJob.Kind.BUNDLE)
    assert bundle_tasks.build_bundle.apply(args=(job.pk,)).get() == ""
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.FAILED and not job.file and job.progress == 0
    assert "打包失败" in job.error and "未生成文件" in job.error
    assert _stored("list_bundles") == []
    assert not bundle_services.bundle_scratch_path(job.pk).exists()
    page = _client(county_user).get(f"/list/excel/jobs/{job.pk}/").content.decode()
    assert "打包失败" in page
    assert _client(county_user).get(f"/list/excel/jobs/{job.pk}/download/").status_code != 200


def test_bundle_whose_worker_died_is_failed_by_its_heartbeat(
    county_user, django_capture_on_commit_callbacks
):
    job = _job(county_user, ExcelJob.Kind.BUNDLE, status=ExcelJob.Status.RUNNING, progress=40)
    scratch = bundle_services.bundle_scratch_path(job.pk)
    scratch.write_bytes(b"PK partial")
    _stalled_run(ExcelJob, job.pk, bundle_tasks.BUNDLE_TASK)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.stalled_jobs_fail() == 1
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.FAILED and job.error == jobs.WORKER_LOST
    assert not job.file and not scratch.exists()
    page = _client(county_user).get(f"/list/excel/jobs/{job.pk}/").content.decode()
    assert jobs.WORKER_LOST in page
    # a late copy of the same message does nothing
    assert bundle_tasks.build_bundle.apply(args=(job.pk,), task_id="t-1").get() == ""
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.FAILED


def test_bundle_redelivered_after_it_finished_does_nothing(county_user):
    _entry()
    job = _job(county_user, ExcelJob.Kind.BUNDLE)
    digest = bundle_tasks.build_bundle.apply(args=(job.pk,), task_id="a").get()
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.READY and job.sha256 == digest
    assert bundle_tasks.build_bundle.apply(args=(job.pk,), task_id="b").get() == digest
    assert _stored("list_bundles") == [Path(job.file.name).name]


# --- the version comparison -------------------------------------------------------------------


def test_version_diff_failing_mid_way_fails_the_job_with_no_file(county_user, monkeypatch):
    monkeypatch.setattr(version_tasks, "version_content", lambda *args: {})
    monkeypatch.setattr(version_tasks, "contents_diff", lambda *args: [])

    def half_written(*, out_path, **kwargs):
        Path(out_path).write_bytes(b"PK half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(version_tasks, "version_diff_write", half_written)
    job = _job(county_user, ExcelJob.Kind.DIFF, report={"older": 1, "newer": 2})
    assert version_tasks.export_version_diff.apply(args=(job.pk,)).get() == ""
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.FAILED and not job.file
    assert "导出失败" in job.error and "未生成文件" in job.error
    assert _stored("list_exports") == []
    assert not version_tasks.diff_scratch_path(job.pk).exists()


def test_version_diff_whose_worker_died_is_failed_by_its_heartbeat(
    county_user, django_capture_on_commit_callbacks
):
    job = _job(
        county_user,
        ExcelJob.Kind.DIFF,
        report={"older": 1, "newer": 2},
        status=ExcelJob.Status.RUNNING,
        progress=10,
    )
    scratch = version_tasks.diff_scratch_path(job.pk)
    scratch.write_bytes(b"PK partial")
    _stalled_run(ExcelJob, job.pk, version_tasks.DIFF_TASK)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.stalled_jobs_fail() == 1
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.FAILED and job.error == jobs.WORKER_LOST
    assert not job.file and not scratch.exists()


# --- an entry's plan and signboard ------------------------------------------------------------


def test_documents_failing_mid_way_show_failed_on_the_entry_page(
    county_user, monkeypatch, django_capture_on_commit_callbacks
):
    entry = _entry()
    with django_capture_on_commit_callbacks(execute=False):
        documents_request(actor=county_user, entry=entry)
    calls = []

    def second_fails(entry, kind):
        calls.append(kind)
        if len(calls) == 2:
            raise RuntimeError("renderer crashed")
        return SimpleNamespace(path=f"list_documents/{entry.pk}/{kind}.pdf")

    monkeypatch.setattr(document_tasks, "document_render_and_record", second_fails)
    with pytest.raises(RuntimeError):
        document_tasks.render_entry_documents.apply(args=(entry.pk,))
    run = JobRun.objects.get(object_id=str(entry.pk))
    assert run.state == JobRun.State.FAILED
    assert not entry.documents.exists()
    page = _client(county_user).get(f"/list/entries/{entry.pk}/").content.decode()
    assert "生成失败" in page and jobs.FAILED in page
    assert "正在按" not in page and "document-download" not in page


def test_documents_whose_worker_died_show_the_message_and_progress_before(
    county_user, django_capture_on_commit_callbacks
):
    entry = _entry()
    with django_capture_on_commit_callbacks(execute=False):
        documents_request(actor=county_user, entry=entry)
    client = _client(county_user)
    url = f"/list/entries/{entry.pk}/"
    assert "正在按第1版清单生成" in client.get(url).content.decode()  # queued
    run = _stalled_run(ListEntry, entry.pk, document_tasks.DOCUMENTS_TASK, ago=5)
    JobRun.objects.filter(pk=run.pk).update(progress=50)
    page = client.get(url).content.decode()
    assert "处理中 50%" in page and "生成失败" not in page
    JobRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert jobs.stalled_jobs_fail() == 1
    page = client.get(url).content.decode()
    assert "生成失败" in page and jobs.WORKER_LOST in page and "正在按" not in page
    assert ListEntry.objects.filter(pk=entry.pk).exists()  # the entry itself is untouched


# --- compiling a county's list ----------------------------------------------------------------


def test_generate_list_failing_mid_way_shows_failed_on_the_list_page(county_user, monkeypatch):
    county = Region.objects.get(code="410184")

    def half_way(*, actor, county, year, progress):
        progress(50, 100)
        raise RuntimeError("database gone strange")

    monkeypatch.setattr(list_tasks, "list_generate", half_way)
    with pytest.raises(RuntimeError):
        list_tasks.generate_list.apply(args=(county.pk, YEAR, county_user.pk))
    run = JobRun.objects.get(object_id=list_tasks.generate_run_key(county.pk, YEAR))
    assert run.state == JobRun.State.FAILED
    page = _client(county_user).get(f"/list/?scope=410184&year={YEAR}").content.decode()
    assert "清单编制失败" in page and jobs.FAILED in page


def test_generate_list_whose_worker_died_is_failed_by_its_heartbeat(county_user):
    county = Region.objects.get(code="410184")
    key = list_tasks.generate_run_key(county.pk, YEAR)
    run = _stalled_run(Region, key, list_tasks.GENERATE_TASK, ago=5)
    JobRun.objects.filter(pk=run.pk).update(progress=37)
    client = _client(county_user)
    url = f"/list/?scope=410184&year={YEAR}"
    assert "清单编制处理中 37%" in client.get(url).content.decode()
    JobRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert jobs.stalled_jobs_fail() == 1
    page = client.get(url).content.decode()
    assert "清单编制失败" in page and jobs.WORKER_LOST in page
    # compiling again starts a new run and ends it finished
    _entry()
    assert list_tasks.generate_list.apply(args=(county.pk, YEAR, county_user.pk)).get() == 1
    assert JobRun.objects.get(pk=run.pk).state == JobRun.State.SUCCEEDED
    assert "清单编制已于" in client.get(url).content.decode()


# --- the alert computation --------------------------------------------------------------------


def _alert(user, **extra) -> Alert:
    today = timezone.localdate()
    alert = Alert.objects.create(
        level=AlertLevel.ORANGE,
        year=YEAR,
        start_on=today,
        end_on=today + datetime.timedelta(days=2),
        called_by=user,
        **extra,
    )
    alert.cities.set([Region.objects.get(code="410100")])
    return alert


def test_alert_failing_mid_way_fails_with_a_message(city_user, monkeypatch):
    def half_way(*, alert):
        Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.RUNNING, progress=40)
        raise RuntimeError("boom")

    monkeypatch.setattr(alert_tasks, "alert_compute", half_way)
    alert = _alert(city_user)
    assert alert_tasks.compute_alert.apply(args=(alert.pk,)).get() == Alert.Status.FAILED
    alert.refresh_from_db()
    assert alert.status == Alert.Status.FAILED and alert.progress == 0
    assert "测算失败" in alert.error and not alert.duties.exists()
    page = _client(city_user).get(f"/list/alerts/{alert.pk}/").content.decode()
    assert "测算失败" in page


def test_alert_whose_worker_died_is_failed_by_its_heartbeat(
    city_user, django_capture_on_commit_callbacks
):
    alert = _alert(city_user, status=Alert.Status.RUNNING, progress=40)
    _stalled_run(Alert, alert.pk, alert_tasks.ALERT_TASK)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.stalled_jobs_fail() == 1
    alert.refresh_from_db()
    assert alert.status == Alert.Status.FAILED and alert.error == jobs.WORKER_LOST
    assert alert.finished_at is not None and not alert.duties.exists()
    page = _client(city_user).get(f"/list/alerts/{alert.pk}/").content.decode()
    assert jobs.WORKER_LOST in page


def test_a_passing_fault_is_retried_and_the_job_waits_for_it(county_user, monkeypatch):
    """A database restart mid-way: the task asks Celery to retry (autoretry_for with backoff);
    the job stays 处理中 with its run's heartbeat moved past the backoff, not failed."""
    from celery.exceptions import Retry
    from django.db import OperationalError

    def dropped(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(bundle_services, "bundle_build", dropped)
    retried = []

    def retry(*args, **kwargs):
        retried.append(kwargs.get("exc"))
        raise Retry()

    task = bundle_tasks.build_bundle
    monkeypatch.setattr(task, "retry", retry)
    job = _job(county_user, ExcelJob.Kind.BUNDLE)
    with pytest.raises(Retry):
        task(job.pk)  # as a worker runs it (not eager)
    assert len(retried) == 1 and isinstance(retried[0], OperationalError)
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.RUNNING and not job.file
    run = JobRun.objects.get(object_id=str(job.pk))
    assert run.state == JobRun.State.RUNNING and run.heartbeat_at > timezone.now()
    assert jobs.stalled_jobs_fail() == 0
    assert not bundle_services.bundle_scratch_path(job.pk).exists()


def test_alert_whose_last_retry_fails_keeps_no_duties(city_user, monkeypatch):
    from celery.exceptions import Retry
    from django.db import OperationalError

    def dropped(*, alert):
        Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.RUNNING, progress=40)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(alert_tasks, "alert_compute", dropped)
    alert = _alert(city_user)
    with pytest.raises((OperationalError, Retry)):  # eager: the retry is not run here
        alert_tasks.compute_alert.apply(args=(alert.pk,))
    alert.refresh_from_db()
    assert alert.status == Alert.Status.FAILED and alert.error == jobs.FAILED
    assert not alert.duties.exists()
