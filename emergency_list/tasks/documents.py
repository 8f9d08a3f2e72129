"""Celery task: the 一厂一策 plan and the signboard of one list entry (R-LIST-4, R-LIST-5)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from emergency_list.models import ListEntry
from emergency_list.services.documents import RENDERERS, document_store_revision

logger = logging.getLogger(__name__)


@shared_task(
    name="emergency_list.tasks_documents.render_entry_documents",
    bind=True,
    acks_late=True,
    # A passing fault (a database restart) renders again after a backoff; idempotent (below).
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, TimeoutError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=3,
    soft_time_limit=300,
    time_limit=330,
)
def render_entry_documents(self, entry_pk: int) -> dict[str, str]:
    """Render both documents of the entry's current revision and store them; returns the stored
    names by kind. A file is written whole under a name holding its revision and checksum, so a
    redelivered task adds nothing new and never damages what is there."""
    entry = ListEntry.objects.get(pk=entry_pk)
    names = {}
    for kind, render in RENDERERS.items():
        try:
            pdf, revision = render(entry)
            names[kind] = document_store_revision(entry_pk, kind, revision, pdf)[0]
        except Exception:
            logger.exception("list entry %s: %s failed to render", entry_pk, kind)
            raise
    return names
