"""Celery task: the Excel file of the changes between two versions of a county's list, under
``core.jobs.job_run`` (heartbeat, progress, a killed worker's job retried or failed with a plain
message). Written to the worker's scratch folder and saved through the storage API only when
whole; the scratch file is removed in every case."""

import logging
from pathlib import Path

from celery import shared_task

from core.jobs import JobKind, job_kind, job_run
from emergency_list.excel.versions import version_diff_write
from emergency_list.models import ExcelJob
from emergency_list.services.rounds import contents_diff, version_content
from emergency_list.tasks.excel import work_dir
from emergency_list.tasks.filejobs import file_job_run, store_whole
from emergency_list.tasks.retry import RETRY, TRANSIENT

logger = logging.getLogger(__name__)

DIFF_TASK = "emergency_list.tasks_versions.export_version_diff"


def diff_scratch_path(job_pk) -> Path:
    return work_dir() / f"list-diff-{job_pk}.xlsx.part"


def _diff_lost(job_pk: str) -> None:
    diff_scratch_path(job_pk).unlink(missing_ok=True)


job_kind(DIFF_TASK, JobKind(model=ExcelJob, finished_field="finished_at", on_lost=_diff_lost))


@shared_task(
    name=DIFF_TASK,
    bind=True,
    acks_late=True,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
    **RETRY,
)
def export_version_diff(self, job_pk: int) -> str:
    """Write the job's version comparison; ready with file and checksum, or failed with a
    Chinese message and no file. A redelivery of a finished job does nothing."""
    with job_run(self, DIFF_TASK, job_pk) as run:
        if run.skip:
            return ""
        return _export(run, job_pk)


def _export(run, job_pk: int) -> str:
    temp = diff_scratch_path(job_pk)

    def produce(job, progress) -> dict:
        older, newer = int(job.report["older"]), int(job.report["newer"])
        changes = contents_diff(
            version_content(job.region, job.year, older),
            version_content(job.region, job.year, newer),
        )
        progress(1, 2)
        title = f"{job.region.name}{job.year}年应急减排清单第{older}版与第{newer}版对比"
        rows = version_diff_write(
            title=title, older=older, newer=newer, changes=changes, out_path=temp
        )
        name = f"list_exports/{job.region.code}-{job.year}-v{older}-v{newer}-{job.pk}.xlsx"
        stored, digest = store_whole(temp, name)
        return {
            "file": stored,
            "sha256": digest,
            "rows": rows,
            "report": {**job.report, "changes": rows},
        }

    return file_job_run(
        run,
        job_pk,
        produce,
        timed_out="导出超时，未生成文件；请稍后重试",
        failed="导出失败，未生成文件（{error}）；请稍后重试",
        retried=TRANSIENT,
        scratch=temp,
    )
