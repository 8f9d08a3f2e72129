"""Celery tasks of the declarations app: the package PDF (申报材料, 002 附件4)."""

import hashlib
import logging

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction

from core.jobs import JobKind, job_kind, job_run
from declarations.models import DeclarationVersion
from declarations.services.package import package_render

logger = logging.getLogger(__name__)

TASK = "declarations.tasks.render_package"
job_kind(
    TASK,
    JobKind(
        model=DeclarationVersion,
        status_field="package_status",
        progress_field="package_progress",
        error_field="package_error",
        final=("ready", "failed", "none"),
    ),
)


def _progress(version_pk: int, status: str, progress: int, **extra) -> None:
    DeclarationVersion.objects.filter(pk=version_pk).update(
        package_status=status, package_progress=progress, **extra
    )


@shared_task(
    name=TASK,
    bind=True,
    acks_late=True,
    # A passing fault (a database restart) renders again after a backoff; idempotent.
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, TimeoutError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=3,
    soft_time_limit=300,
    time_limit=330,
)
def render_package(self, version_pk: int) -> str:
    """Render one version's package; progress is stored on the version for the page to show.
    The file is offered only when complete (status ready with its checksum)."""
    with job_run(self, TASK, version_pk) as run:
        return "" if run.skip else _render(version_pk)


def _render(version_pk: int) -> str:
    version = DeclarationVersion.objects.select_related("declaration").get(pk=version_pk)
    if version.package_status == DeclarationVersion.RenderStatus.READY and version.package_file:
        return version.package_sha256  # a redelivered message: the package is there
    _progress(version_pk, DeclarationVersion.RenderStatus.RUNNING, 5, package_error="")
    try:
        pdf = package_render(
            version,
            progress=lambda p: _progress(version_pk, DeclarationVersion.RenderStatus.RUNNING, p),
        )
    except Exception as exc:
        logger.exception("package render failed for version %s", version_pk)
        _progress(
            version_pk, DeclarationVersion.RenderStatus.FAILED, 0, package_error=str(exc)[:300]
        )
        raise
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        version = DeclarationVersion.objects.select_for_update().get(pk=version_pk)
        old = version.package_file.name if version.package_file else ""
        version.package_file.save(
            f"{version.declaration.number}-v{version.number}.pdf", ContentFile(pdf), save=False
        )
        version.package_sha256 = digest
        version.package_status = DeclarationVersion.RenderStatus.READY
        version.package_progress = 100
        version.save(
            update_fields=["package_file", "package_sha256", "package_status", "package_progress"]
        )
    if old and old != version.package_file.name:
        version.package_file.storage.delete(old)
    return digest
