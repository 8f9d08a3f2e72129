"""Celery task: the archive of a county's plans and signboards (``ExcelJob`` of kind bundle),
under ``core.jobs.job_run``: progress and heartbeat on a connection of their own, a killed
worker's job retried or failed with a plain message, passing faults retried after a backoff.
The archive is written to the worker's scratch folder and saved through the storage API only
when whole, so no partial file is ever offered; the scratch file is removed in every case."""

import logging

from celery import shared_task

from core.jobs import JobKind, job_kind, job_run
from emergency_list.models import ExcelJob
from emergency_list.services.bundles import bundle_scratch_path, bundle_write
from emergency_list.tasks.filejobs import file_job_run
from emergency_list.tasks.retry import RETRY, TRANSIENT

logger = logging.getLogger(__name__)

BUNDLE_SOFT_LIMIT = 40 * 60  # two PDFs of ~0.3 s per entry: a large county takes minutes
BUNDLE_TASK = "emergency_list.tasks_bundles.build_bundle"


def _bundle_lost(job_pk: str) -> None:
    bundle_scratch_path(job_pk).unlink(missing_ok=True)


job_kind(BUNDLE_TASK, JobKind(model=ExcelJob, finished_field="finished_at", on_lost=_bundle_lost))


@shared_task(
    name=BUNDLE_TASK,
    bind=True,
    acks_late=True,
    soft_time_limit=BUNDLE_SOFT_LIMIT,
    time_limit=BUNDLE_SOFT_LIMIT + 300,
    **RETRY,
)
def build_bundle(self, job_pk: int) -> str:
    """Build the archive; the job ends ready with file and checksum or failed with a Chinese
    message and no file. A redelivery of a finished job does nothing."""
    with job_run(self, BUNDLE_TASK, job_pk) as run:
        if run.skip:
            return ""
        return _build(run, job_pk)


def _build(run, job_pk: int) -> str:
    def produce(job, progress) -> dict:
        name, digest, counts = bundle_write(job, progress=progress)
        return {"file": name, "sha256": digest, "rows": counts["entries"], "report": counts}

    return file_job_run(
        run,
        job_pk,
        produce,
        timed_out="打包超时，未生成文件；请稍后重试",
        failed="打包失败，未生成文件（{error}）；请稍后重试或联系管理员",
        retried=TRANSIENT,
    )
