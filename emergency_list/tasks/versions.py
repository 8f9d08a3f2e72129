"""Celery task: the Excel file of the changes between two versions of a county's list."""

import logging
import os
import uuid
from pathlib import Path

from celery import shared_task
from django.core.files.storage import default_storage
from django.utils import timezone

from emergency_list.excel.export import file_sha256
from emergency_list.excel.versions import version_diff_write
from emergency_list.models import ExcelJob
from emergency_list.services.rounds import contents_diff, version_content

logger = logging.getLogger(__name__)


def _update(job_pk: int, **fields) -> None:
    ExcelJob.objects.filter(pk=job_pk).update(**fields)


@shared_task(
    name="emergency_list.tasks_versions.export_version_diff",
    bind=True,
    acks_late=True,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
)
def export_version_diff(self, job_pk: int) -> str:
    """Write the job's version comparison; ready with file and checksum, or failed with a
    Chinese message and no file (written beside its final name and renamed when whole)."""
    job = ExcelJob.objects.select_related("region").get(pk=job_pk)
    older, newer = int(job.report["older"]), int(job.report["newer"])
    name = f"list_exports/{job.region.code}-{job.year}-v{older}-v{newer}-{job.pk}.xlsx"
    final = Path(default_storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
    _update(job_pk, status=ExcelJob.Status.RUNNING, progress=10, error="", file="")
    try:
        changes = contents_diff(
            version_content(job.region, job.year, older),
            version_content(job.region, job.year, newer),
        )
        title = f"{job.region.name}{job.year}年应急减排清单第{older}版与第{newer}版对比"
        rows = version_diff_write(
            title=title, older=older, newer=newer, changes=changes, out_path=temp
        )
        digest = file_sha256(temp)
        os.replace(temp, final)
    except Exception as exc:
        temp.unlink(missing_ok=True)
        logger.exception("list version diff %s failed", job_pk)
        _update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error=f"导出失败，未生成文件（{type(exc).__name__}）；请稍后重试"[:500],
            finished_at=timezone.now(),
        )
        return ""
    _update(
        job_pk,
        status=ExcelJob.Status.READY,
        progress=100,
        file=name,
        sha256=digest,
        rows=rows,
        report={**job.report, "changes": rows},
        finished_at=timezone.now(),
    )
    return digest
