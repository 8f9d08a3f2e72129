"""Celery task: the Excel file of the changes between two versions of a county's list."""

import logging
import os
import tempfile
from pathlib import Path

from celery import shared_task
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from core.jobs import JobKind, job_kind, job_run
from emergency_list.excel.export import file_sha256
from emergency_list.excel.versions import version_diff_write
from emergency_list.models import ExcelJob
from emergency_list.services.rounds import contents_diff, version_content

logger = logging.getLogger(__name__)

job_kind(
    "emergency_list.tasks_versions.export_version_diff",
    JobKind(model=ExcelJob, finished_field="finished_at"),
)


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
    with job_run(self, self.name, job_pk) as run:  # heartbeat; a lost worker ends the job
        return "" if run.skip else _export_version_diff(job_pk)


def _export_version_diff(job_pk: int) -> str:
    job = ExcelJob.objects.select_related("region").get(pk=job_pk)
    older, newer = int(job.report["older"]), int(job.report["newer"])
    name = f"list_exports/{job.region.code}-{job.year}-v{older}-v{newer}-{job.pk}.xlsx"
    # Written in the worker's scratch folder, saved through the storage API when whole.
    fd, scratch = tempfile.mkstemp(prefix="list-diff-", suffix=".xlsx.part")
    os.close(fd)
    temp = Path(scratch)
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
        if default_storage.exists(name):
            default_storage.delete(name)
        with temp.open("rb") as fh:
            name = default_storage.save(name, File(fh))
    except Exception as exc:
        logger.exception("list version diff %s failed", job_pk)
        _update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error=f"导出失败，未生成文件（{type(exc).__name__}）；请稍后重试"[:500],
            finished_at=timezone.now(),
        )
        return ""
    finally:
        temp.unlink(missing_ok=True)
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
