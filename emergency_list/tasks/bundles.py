"""Celery task: the archive of a county's plans and signboards (``ExcelJob`` of kind bundle)."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from core.jobs import JobKind, job_kind, job_run
from emergency_list.models import ExcelJob
from emergency_list.services.bundles import bundle_write

logger = logging.getLogger(__name__)

job_kind(
    "emergency_list.tasks_bundles.build_bundle",
    JobKind(model=ExcelJob, finished_field="finished_at"),
)

BUNDLE_SOFT_LIMIT = 40 * 60  # two PDFs of ~0.3 s per entry: a large county takes minutes


def _update(job_pk: int, **fields) -> None:
    ExcelJob.objects.filter(pk=job_pk).update(**fields)


@shared_task(
    name="emergency_list.tasks_bundles.build_bundle",
    bind=True,
    acks_late=True,
    soft_time_limit=BUNDLE_SOFT_LIMIT,
    time_limit=BUNDLE_SOFT_LIMIT + 300,
)
def build_bundle(self, job_pk: int) -> str:
    """Build the archive; progress is written as each entry is done (outside any transaction,
    so other connections see it); the job ends ready with file and checksum or failed with a
    Chinese message and no file."""
    with job_run(self, self.name, job_pk) as run:  # heartbeat; a lost worker ends the job
        return "" if run.skip else _build_bundle(job_pk)


def _build_bundle(job_pk: int) -> str:
    job = ExcelJob.objects.select_related("region").get(pk=job_pk)
    _update(job_pk, status=ExcelJob.Status.RUNNING, progress=1, error="", file="")
    last = [1]

    def progress(done: int, total: int) -> None:
        pct = 1 + int(97 * done / total) if total else 98
        if pct != last[0]:
            last[0] = pct
            _update(job_pk, progress=pct)

    try:
        name, digest, counts = bundle_write(job, progress=progress)
    except SoftTimeLimitExceeded:
        _update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error="打包超时，未生成文件；请稍后重试",
            finished_at=timezone.now(),
        )
        return ""
    except Exception as exc:
        logger.exception("list bundle %s failed", job_pk)
        _update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error=f"打包失败，未生成文件（{type(exc).__name__}）；请稍后重试或联系管理员"[:500],
            finished_at=timezone.now(),
        )
        return ""
    _update(
        job_pk,
        status=ExcelJob.Status.READY,
        progress=100,
        file=name,
        sha256=digest,
        rows=counts["entries"],
        report=counts,
        finished_at=timezone.now(),
    )
    return digest
