"""Excel jobs: an export offered only when complete (or failed with no file), who may export
and import which scope, and an upload validated then imported on confirmation."""

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from emergency_list.excel.export import file_sha256, list_export
from emergency_list.excel.layout import (
    COL,
    HEADER_ROWS,
)
from emergency_list.excel.workbook import ListWorkbook
from emergency_list.models import (
    ExcelJob,
    ListEntry,
)
from emergency_list.services.jobs import export_request, import_confirm, import_upload
from emergency_list.tasks import filejobs
from emergency_list.tests.excel_data import (
    YEAR,
    data_rows,
    empty_county,
    export,
    seed_county,
    write_rows,
)
from grading.models import Region, User
from tests import factories

pytestmark = pytest.mark.django_db


def test_export_failure_leaves_no_file_and_a_failed_job(
    tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seed_county()
    calls = []
    original = ListWorkbook.add_enterprise

    def failing(self, enterprise, rows):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return original(self, enterprise, rows)

    monkeypatch.setattr(ListWorkbook, "add_enterprise", failing)
    user = factories.staff_user(User.Role.COUNTY, "410184")
    with django_capture_on_commit_callbacks(execute=True):
        job = export_request(actor=user, region=Region.objects.get(code="410184"), year=YEAR)
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.FAILED and not job.file
    assert "导出失败" in job.error and "未生成文件" in job.error
    exports = Path(settings.MEDIA_ROOT) / "list_exports"
    assert not exports.exists() or list(exports.iterdir()) == []
    # and a direct call removes its partial file as well
    out = tmp_path / "partial.xlsx"
    calls.clear()
    with pytest.raises(RuntimeError):
        list_export(region=Region.objects.get(code="410184"), year=YEAR, out_path=out)
    assert not out.exists()


def test_export_job_offers_the_file_only_when_complete(
    settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seed_county()
    user = factories.staff_user(User.Role.CITY, "410100")
    seen = []
    real = filejobs.job_update

    def spy(job_pk, **fields):
        if "progress" in fields:
            seen.append((fields.get("status"), fields["progress"], fields.get("file")))
        real(job_pk, **fields)

    filejobs.job_update = spy
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = export_request(actor=user, region=Region.objects.get(code="410100"), year=YEAR)
    finally:
        filejobs.job_update = real
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.READY and job.progress == 100
    assert job.rows == len(data_rows(Path(job.file.path)))
    assert job.sha256 == file_sha256(job.file.path)
    assert job.finished_at is not None
    # no file was named before the last update; no temporary file is left next to it
    assert all(not f for _s, _p, f in seen[:-1]) and seen[-1][2] == job.file.name
    assert [p.name for p in Path(job.file.path).parent.iterdir()] == [Path(job.file.name).name]


def test_jurisdiction_of_exports_and_imports(county_user, other_county_user, city_user, tmp_path):
    county = Region.objects.get(code="410184")
    with pytest.raises(PermissionDenied):
        export_request(actor=other_county_user, region=county, year=YEAR)
    with pytest.raises(PermissionDenied):
        export_request(actor=county_user, region=Region.objects.get(code="410100"), year=YEAR)
    with pytest.raises(PermissionDenied):
        export_request(actor=city_user, region=Region.objects.get(code="410000"), year=YEAR)
    with pytest.raises(PermissionDenied):
        export_request(actor=city_user, region=Region.objects.get(code="410300"), year=YEAR)
    assert export_request(actor=city_user, region=county, year=YEAR).kind == "export"
    upload = SimpleUploadedFile("清单.xlsx", b"PK\x03\x04")
    with pytest.raises(PermissionDenied):
        import_upload(actor=other_county_user, county=county, year=YEAR, upload=upload)


def test_import_jobs_validate_then_import_on_confirmation(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seed_county("410184")
    first, _ = export(tmp_path)
    empty_county("410184")
    county = Region.objects.get(code="410184")
    user = factories.staff_user(User.Role.COUNTY, "410184")
    upload = SimpleUploadedFile("新郑市清单.xlsx", first.read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        job = import_upload(actor=user, county=county, year=YEAR, upload=upload)
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.VALIDATED and job.report["ok"]
    assert job.report["original_name"] == "新郑市清单.xlsx"
    assert not ListEntry.objects.exists()  # validation writes nothing
    with pytest.raises(PermissionDenied):
        import_confirm(actor=factories.staff_user(User.Role.COUNTY, "410122"), job=job)
    with django_capture_on_commit_callbacks(execute=True):
        import_confirm(actor=user, job=job)
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.READY, job.error
    assert job.report["counts"]["entries_created"] == 8
    assert ListEntry.objects.filter(county=county, year=YEAR).count() == 8
    with pytest.raises(ValidationError):
        import_confirm(actor=user, job=job)  # only a validated upload, once


def test_an_invalid_upload_fails_validation_and_cannot_be_confirmed(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seed_county()
    path, _ = export(tmp_path)
    rows = [list(r) for r in data_rows(path)]
    rows[0][COL["vocs"]] = -3
    bad = write_rows(path, rows, tmp_path / "bad.xlsx")
    user = factories.staff_user(User.Role.COUNTY, "410184")
    with django_capture_on_commit_callbacks(execute=True):
        job = import_upload(
            actor=user,
            county=Region.objects.get(code="410184"),
            year=YEAR,
            upload=SimpleUploadedFile("bad.xlsx", bad.read_bytes()),
        )
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.FAILED and "1行有错误" in job.error
    assert job.report["errors"][0] == {
        "row": HEADER_ROWS + 1,
        "column": "VOCs",
        "message": "不能为负数",
    }
    with pytest.raises(ValidationError):
        import_confirm(actor=user, job=job)
