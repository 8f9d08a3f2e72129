"""The one way a list job that writes a file runs (the export, the version comparison, the
archive of plans and signboards): the job is marked running, the file is produced with progress,
and the job ends ready with its stored file and checksum, or failed with a Chinese message and
no file: a time-out and an unexpected error each say so. Passing faults of a task that retries
are raised again to be retried. A redelivery of a finished job does nothing."""

import logging
from collections.abc import Callable
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from emergency_list.excel.export import file_sha256
from emergency_list.models import ExcelJob

logger = logging.getLogger(__name__)


def job_update(job_pk: int, **fields) -> None:
    ExcelJob.objects.filter(pk=job_pk).update(**fields)


def store_whole(temp: Path, name: str) -> tuple[str, str]:
    """Save a finished scratch file under ``name`` through the storage API (replacing an
    earlier attempt's file); returns the stored name and the file's SHA-256."""
    digest = file_sha256(temp)
    if default_storage.exists(name):
        default_storage.delete(name)
    with temp.open("rb") as fh:
        return default_storage.save(name, File(fh)), digest


def file_job_run(
    run,
    job_pk: int,
    produce: Callable[[ExcelJob, Callable[[int, int], None]], dict],
    *,
    timed_out: str,
    failed: str,
    retried: tuple[type[BaseException], ...] = (),
    scratch: Path | None = None,
) -> str:
    """Run ``produce(job, progress)``, which returns the ready job's fields (``file``,
    ``sha256``, ``rows``, ``report``); ``failed`` is a message with ``{error}`` for the
    exception's name. ``scratch`` is removed whatever happens. Returns the checksum, or ""."""
    job = ExcelJob.objects.select_related("region").get(pk=job_pk)
    if job.status == ExcelJob.Status.READY and job.file:
        return job.sha256
    job_update(job_pk, status=ExcelJob.Status.RUNNING, progress=1, error="", file="")
    run.progress(1)

    def progress(done: int, total: int) -> None:
        run.progress(1 + int(97 * done / total) if total else 98)

    try:
        ready = produce(job, progress)
    except retried:
        raise  # retried after a backoff (autoretry_for)
    except SoftTimeLimitExceeded:
        error = timed_out
    except Exception as exc:
        logger.exception("list job %s failed", job_pk)
        error = failed.format(error=type(exc).__name__)[:500]
    else:
        error = ""
    finally:
        if scratch is not None:
            scratch.unlink(missing_ok=True)
    if error:
        job_update(
            job_pk,
            status=ExcelJob.Status.FAILED,
            progress=0,
            error=error,
            finished_at=timezone.now(),
        )
        return ""
    job_update(
        job_pk,
        status=ExcelJob.Status.READY,
        progress=100,
        finished_at=timezone.now(),
        **ready,
    )
    return ready["sha256"]
