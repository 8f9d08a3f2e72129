"""Celery tasks of the list's Excel jobs (``ExcelJob``): the export of a county, a city or the
province, and the validation and import of a county's uploaded list.

An export is written to a temporary file on the worker (one name per job, so a retry
overwrites it) and saved to storage (Django's storage API: a local folder or object storage)
only when complete, so a file is offered only whole, with its checksum; a failed or killed
export removes its temporary file and the job says why. Both tasks run under time limits and
``core.jobs.job_run``: heartbeat and progress on a connection of their own (the export reads
in one long transaction), a killed worker's job retried or failed, never left 处理中.
Memory: the worker should also run with ``--max-memory-per-child`` (KiB), e.g.
``celery -A config worker --max-memory-per-child=786432`` in docker-compose, so that a child
that grew past 768 MiB is replaced after its task (``WORKER_MEMORY_LIMIT_MB`` caps it while it
works: the import then fails with a message); a
province export stays near 200 MiB (bench/export_province.py) and an import is bounded by the
upload limits (20 MB, 200 MB expanded, 50,000 rows).
"""

import logging
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from core.jobs import OUT_OF_MEMORY, JobKind, job_kind, job_run
from emergency_list.excel.export import list_export
from emergency_list.excel.importing import ImportInvalid, import_apply, import_validate
from emergency_list.models import ExcelJob
from emergency_list.tasks.filejobs import file_job_run, job_update, store_whole
from grading.models import User

logger = logging.getLogger(__name__)

EXPORT_SOFT_LIMIT = 40 * 60  # a province (100,000 enterprises) takes a few minutes
IMPORT_SOFT_LIMIT = 10 * 60


def _plain(value):
    """Decimals in the job's JSON report as strings (exact)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def export_file_name(job) -> str:
    return f"list_exports/{job.region.code}-{job.year}-{job.pk}.xlsx"


def work_dir() -> Path:
    """The worker's own scratch folder for files being written (never offered)."""
    path = Path(tempfile.gettempdir()) / "jixiao-jobs"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def export_temp_path(job_pk) -> Path:
    return work_dir() / f"list-export-{job_pk}.xlsx.part"


def _export_lost(job_pk: str) -> None:
    export_temp_path(job_pk).unlink(missing_ok=True)


EXPORT_TASK = "emergency_list.tasks_excel.export_list"
IMPORT_TASK = "emergency_list.tasks_excel.import_list"
job_kind(EXPORT_TASK, JobKind(model=ExcelJob, finished_field="finished_at", on_lost=_export_lost))
job_kind(IMPORT_TASK, JobKind(model=ExcelJob, finished_field="finished_at"))


@shared_task(
    name=EXPORT_TASK,
    bind=True,
    acks_late=True,
    soft_time_limit=EXPORT_SOFT_LIMIT,
    time_limit=EXPORT_SOFT_LIMIT + 300,
)
def export_list(self, job_pk: int) -> str:
    """Write the job's list; the job becomes ready with its file and checksum, or failed with a
    Chinese message and no file. A redelivery of a finished export does nothing."""
    with job_run(self, EXPORT_TASK, job_pk) as run:
        if run.skip:
            return ""
        return _export(run, job_pk)


def _export(run, job_pk: int) -> str:
    temp = export_temp_path(job_pk)

    def produce(job, progress) -> dict:
        result = list_export(region=job.region, year=job.year, out_path=temp, progress=progress)
        stored, digest = store_whole(temp, export_file_name(job))
        return {"file": stored, "sha256": digest, "rows": result["rows"], "report": _plain(result)}

    return file_job_run(
        run,
        job_pk,
        produce,
        timed_out="导出超时，未生成文件；请缩小范围（按市或县导出）或稍后重试",
        failed="导出失败，未生成文件（{error}）；请稍后重试或联系管理员",
        scratch=temp,
    )


@shared_task(
    name=IMPORT_TASK,
    bind=True,
    acks_late=True,
    soft_time_limit=IMPORT_SOFT_LIMIT,
    time_limit=IMPORT_SOFT_LIMIT + 60,
)
def import_list(self, job_pk: int, apply: bool = False) -> str:
    """Validate the uploaded list (``apply=False``: nothing is written, the job holds the
    per-row report) or import it (``apply=True``: one transaction, all or nothing). The upload
    is read through the storage API into the worker's scratch folder."""
    with job_run(self, IMPORT_TASK, job_pk) as run:
        if run.skip:
            return ""
        job = ExcelJob.objects.select_related("region", "requested_by").get(pk=job_pk)
        if job.status in (ExcelJob.Status.READY, ExcelJob.Status.FAILED):
            return "done"  # a redelivered message of a job that already ended
        path = work_dir() / f"list-import-{job_pk}.xlsx"
        try:
            with job.upload.open("rb") as src, path.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            run.progress(10)
            return _import(job, apply, path)
        finally:
            path.unlink(missing_ok=True)


def _import(job: ExcelJob, apply: bool, path: Path) -> str:
    job_pk = job.pk
    job_update(job_pk, status=ExcelJob.Status.RUNNING, progress=10, error="")
    previous = job.report or {}
    keep = {
        k: previous[k] for k in ("original_name", "upload_sha256", "confirmed_by") if k in previous
    }
    try:
        if not apply:
            report = import_validate(county=job.region, year=job.year, path=path)
            ok = report["ok"]
            job_update(
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
        counts = import_apply(actor=actor, county=job.region, year=job.year, path=path)
    except ImportInvalid as exc:
        job_update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            report={**keep, **exc.report},
            error=_failure(exc.report),
            finished_at=timezone.now(),
        )
        return "invalid"
    except SoftTimeLimitExceeded:
        job_update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error="处理超时，未导入任何数据；请按县（市、区）拆分文件后重试",
            finished_at=timezone.now(),
        )
        return "timeout"
    except MemoryError:
        logger.exception("list import %s ran out of memory", job_pk)
        job_update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error=OUT_OF_MEMORY,
            finished_at=timezone.now(),
        )
        raise  # core.jobs replaces the worker's process that reached its cap
    except Exception as exc:
        logger.exception("list import %s failed", job_pk)
        job_update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error=f"导入失败，未保存任何数据（{type(exc).__name__}）",
            finished_at=timezone.now(),
        )
        return "failed"
    job_update(
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
