"""Writing and reading audit events. Services call ``event_record`` inside their transaction."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import AuditEvent


def event_record(
    *,
    code: str,
    actor: Any,
    target: models.Model,
    summary: str,
    reason: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Record one attributable event about ``target``; call it inside the service's transaction."""
    return AuditEvent.objects.create(
        code=code,
        actor=actor if getattr(actor, "pk", None) else None,
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        object_id=str(target.pk),
        summary=summary[:300],
        reason=reason,
        data=data or {},
    )


def event_list_for(target: models.Model) -> models.QuerySet[AuditEvent]:
    """The timeline of one object, newest first (the caller has already checked access)."""
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        object_id=str(target.pk),
    ).select_related("actor")
