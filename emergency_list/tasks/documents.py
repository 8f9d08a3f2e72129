"""Celery task: the 一厂一策 plan and the signboard of one list entry (R-LIST-4, R-LIST-5),
under ``core.jobs.job_run``. The entry has no job row of its own: the run (``core.JobRun`` of
the entry) is the job's record, which the entry page reads (处理中 n%, 失败 with the message).
Each file is written whole under a name holding its revision and checksum, so a redelivered or
retried task adds nothing new and never damages what is there."""

import logging

from celery import shared_task

from core.jobs import JobKind, job_kind, job_run
from emergency_list.models import ListEntry
from emergency_list.services.documents import RENDERERS, document_render_and_record
from emergency_list.tasks.retry import RETRY

logger = logging.getLogger(__name__)

DOCUMENTS_TASK = "emergency_list.tasks_documents.render_entry_documents"


class RunRecordedKind(JobKind):
    """A job whose only record is its ``core.JobRun``: the entry itself is never marked."""

    def fail(self, pk, message: str) -> int:
        return 0


job_kind(DOCUMENTS_TASK, RunRecordedKind(model=ListEntry, progress_field=None, error_field=None))


@shared_task(
    name=DOCUMENTS_TASK,
    bind=True,
    acks_late=True,
    soft_time_limit=300,
    time_limit=330,
    **RETRY,
)
def render_entry_documents(self, entry_pk: int) -> dict[str, str]:
    """Render both documents of the entry's current revision, store and record them (the
    entry page lists the records); returns the stored names by kind."""
    with job_run(self, DOCUMENTS_TASK, entry_pk) as run:
        if run.skip:
            return {}
        entry = ListEntry.objects.get(pk=entry_pk)
        names = {}
        for i, kind in enumerate(RENDERERS):
            run.progress(1 + int(98 * i / len(RENDERERS)))
            try:
                names[kind] = document_render_and_record(entry, kind).path
            except Exception:
                logger.exception("list entry %s: %s failed to render", entry_pk, kind)
                raise
        return names
