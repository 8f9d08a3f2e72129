"""Celery task: the 一厂一策 plan and the signboard of one list entry (R-LIST-4, R-LIST-5)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from emergency_list.models import ListEntry
from emergency_list.services.documents import RENDERERS, document_render_and_record

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
    """Render both documents of the entry's current revision, store and record them (the
    entry page lists the records); returns the stored names by kind. A file is written whole
    under a name holding its revision and checksum, so a redelivered task adds nothing new and
    never damages what is there."""
    entry = ListEntry.objects.get(pk=entry_pk)
    names = {}
    for kind in RENDERERS:
        try:
            names[kind] = document_render_and_record(entry, kind).path
        except Exception:
            logger.exception("list entry %s: %s failed to render", entry_pk, kind)
            raise
    return names
