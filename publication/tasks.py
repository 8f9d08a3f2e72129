"""Downloads of published lists and official lists, rendered by the worker."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.jobs import JobKind, job_kind, job_run
from publication.models import ExportFile, VersionFile
from publication.services.downloads import version_file_render

#: Passing faults (a database restart) are retried after a backoff; renders are idempotent.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": 5, "retry_backoff_max": 120, "max_retries": 5}

job_kind(
    "publication.tasks.render_version_file",
    JobKind(model=VersionFile, progress_field=None, final=("ready", "failed")),
)
job_kind(
    "publication.tasks.render_export",
    JobKind(model=ExportFile, progress_field=None, final=("ready", "failed")),
)


@shared_task(name="publication.tasks.render_version_file", bind=True, acks_late=True, **RETRY)
def render_version_file(self, file_pk: int) -> str:
    with job_run(self, self.name, file_pk) as run:
        return "" if run.skip else version_file_render(file_pk)


@shared_task(name="publication.tasks.render_export", bind=True, acks_late=True, **RETRY)
def render_export(self, export_pk: int) -> str:
    from publication.services.exports import export_render

    with job_run(self, self.name, export_pk) as run:
        return "" if run.skip else export_render(export_pk)
