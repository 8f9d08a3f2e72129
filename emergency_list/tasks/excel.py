"""Celery tasks of the list's Excel jobs (``ExcelJob``): the export of a county, a city or the
province, and the validation and import of a county's uploaded list.

An export is written to a hidden temporary file in the storage directory it ends up in and
renamed into place only when complete (a rename within one directory is atomic), so a file is
offered only whole, with its checksum; a failed export removes its temporary file and the job
says why. Both tasks run under time limits. Memory: the worker should also run with
``--max-memory-per-child`` (KiB), e.g. ``celery -A config worker --max-memory-per-child=786432``
in docker-compose, so that a child that grew past 768 MiB is replaced after its task; a
province export stays near 200 MiB (bench/export_province.py) and an import is bounded by the
upload limits (20 MB, 200 MB expanded, 50,000 rows).
"""

import logging
import os
import uuid
from decimal import Decimal
from pathlib import Path

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.storage import default_storage
from django.utils import timezone

from emergency_list.excel.export import file_sha256, list_export
from emergency_list.excel.importing import ImportInvalid, import_apply, import_validate
from emergency_list.models import ExcelJob
from grading.models import User

logger = logging.getLogger(__name__)

EXPORT_SOFT_LIMIT = 40 * 60  # a province (100,000 enterprises) takes a few minutes
IMPORT_SOFT_LIMIT = 10 * 60


def _update(job_pk: int, **fields) -> None:
    ExcelJob.objects.filter(pk=job_pk).update(**fields)


def _plain(value):
    """Decimals in the job's JSON report as strings (exact)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def export_file_name(job) -> str:
    return f"list_exports/{job.region.code}-{job.year}-{job.pk}.xlsx"


@shared_task(
    name="emergency_list.tasks_excel.export_list",
    bind=True,
    acks_late=True,
    soft_time_limit=EXPORT_SOFT_LIMIT,
    time_limit=EXPORT_SOFT_LIMIT + 300,
)
def export_list(self, job_pk: int) -> str:
    """Write the job's list; the job becomes ready with its file and checksum, or failed with a
    Chinese message and no file."""
    job = ExcelJob.objects.select_related("region").get(pk=job_pk)
    name = export_file_name(job)
    final = Path(default_storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
    _update(job_pk, status=ExcelJob.Status.RUNNING, progress=1, error="", file="")
    last = [1]

    def progress(done: int, total: int) -> None:
        pct = 1 + int(97 * done / total) if total else 98
        if pct != last[0]:
            last[0] = pct
            _update(job_pk, progress=pct)

    try:
        result = list_export(region=job.region, year=job.year, out_path=temp, progress=progress)
        digest = file_sha256(temp)
        os.replace(temp, final)
    except SoftTimeLimitExceeded:
        temp.unlink(missing_ok=True)
        _update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error="导出超时，未生成文件；请缩小范围（按市或县导出）或稍后重试",
            finished_at=timezone.now(),
        )
        return ""
    except Exception as exc:
        temp.unlink(missing_ok=True)
        logger.exception("list export %s failed", job_pk)
        _update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error=f"导出失败，未生成文件（{type(exc).__name__}）；请稍后重试或联系管理员"[:500],
            finished_at=timezone.now(),
        )
        return ""
    _update(
        job_pk,
        status=ExcelJob.Status.READY,
        progress=100,
        file=name,
        sha256=digest,
        rows=result["rows"],
        report=_plain(result),
        finished_at=timezone.now(),
    )
    return digest


@shared_task(
    name="emergency_list.tasks_excel.import_list",
    bind=True,
    acks_late=True,
    soft_time_limit=IMPORT_SOFT_LIMIT,
    time_limit=IMPORT_SOFT_LIMIT + 60,
)
def import_list(self, job_pk: int, apply: bool = False) -> str:
    """Validate the uploaded list (``apply=False``: nothing is written, the job holds the
    per-row report) or import it (``apply=True``: one transaction, all or nothing)."""
    job = ExcelJob.objects.select_related("region", "requested_by").get(pk=job_pk)
    _update(job_pk, status=ExcelJob.Status.RUNNING, progress=10, error="")
    previous = job.report or {}
    keep = {
        k: previous[k] for k in ("original_name", "upload_sha256", "confirmed_by") if k in previous
    }
    try:
        if not apply:
            report = import_validate(county=job.region, year=job.year, path=job.upload.path)
            ok = report["ok"]
            _update(
                job_pk,
                status=ExcelJob.Status.VALIDATED if ok else ExcelJob.Status.FAILED,
                progress=100,
                rows=report["rows"],
                report={**keep, **report},
                error="" if ok else _failure(report),
                finished_at=timezone.now(),
            )
            return "validated" if ok else "invalid"
        actor = User.objects.get(pk=previous.get("confirmed_by") or job.requested_by_id)
        counts = import_apply(actor=actor, county=job.region, year=job.year, path=job.upload.path)
    except ImportInvalid as exc:
        _update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            report={**keep, **exc.report},
            error=_failure(exc.report),
            finished_at=timezone.now(),
        )
        return "invalid"
    except SoftTimeLimitExceeded:
        _update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error="处理超时，未导入任何数据；请按县（市、区）拆分文件后重试",
            finished_at=timezone.now(),
        )
        return "timeout"
    except Exception as exc:
        logger.exception("list import %s failed", job_pk)
        _update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error=f"导入失败，未保存任何数据（{type(exc).__name__}）",
            finished_at=timezone.now(),
        )
        return "failed"
    _update(
        job_pk,
        status=ExcelJob.Status.READY,
        progress=100,
        rows=counts["rows"],
        report={**keep, **previous, "counts": counts},
        finished_at=timezone.now(),
    )
    return "imported"


def _failure(report: dict) -> str:
    if report.get("file_error"):
        return f"文件被拒绝：{report['file_error']}"[:500]
    return f"校验未通过：{len(report.get('error_rows', []))}行有错误，未导入任何数据"
