"""Writing and reading audit events. Services call ``event_record`` inside their transaction."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.context import current_address
from core.models import AuditEvent


def event_record(
    *,
    code: str,
    actor: Any,
    target: models.Model | None,
    summary: str,
    reason: str = "",
    data: dict | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
) -> AuditEvent:
    """Record one attributable event about ``target``; call it inside the service's transaction.

    The address of the request being served (if any) is recorded with it. ``target`` is None
    only for account events that concern no account (a failed login with an unknown name).
    """
    return AuditEvent.objects.create(
        code=code,
        actor=actor if getattr(actor, "pk", None) else None,
        content_type=(
            ContentType.objects.get_for_model(target, for_concrete_model=False)
            if target is not None
            else None
        ),
        object_id=str(target.pk) if target is not None else "",
        summary=summary[:300],
        reason=reason,
        data=data or {},
        address=current_address() or None,
        outcome=outcome,
    )


def event_list_for(target: models.Model) -> models.QuerySet[AuditEvent]:
    """The timeline of one object, newest first (the caller has already checked access)."""
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        object_id=str(target.pk),
    ).select_related("actor")
