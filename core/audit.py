"""Writing and reading audit events. Services call ``event_record`` inside their transaction."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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


#: 等保三级: audit records are kept at least 180 days; no setting can shorten that.
MIN_RETENTION_DAYS = 180


def retention_days() -> int:
    return max(MIN_RETENTION_DAYS, int(settings.GRADING.get("AUDIT_RETENTION_DAYS", 0)))


def audit_trail_prune() -> int:
    """Delete the audit rows older than the retention period (never younger than 180 days) and
    record how many went. The only delete the trail allows: PostgreSQL's trigger checks the
    age of every row again."""
    keep = retention_days()
    cutoff = timezone.now() - timedelta(days=keep)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('jixiao.audit_prune', 'on', true)")
            cursor.execute(
                "SELECT set_config('jixiao.audit_retention_days', %s, true)", [str(keep)]
            )
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE at < %s", [cutoff])
        deleted = cursor.rowcount
        if deleted:
            event_record(
                code="audit.pruned",
                actor=None,
                target=None,
                summary=_("清理保存期（%(days)d天）以前的操作记录 %(n)d 条")
                % {"days": keep, "n": deleted},
                data={"before": cutoff.isoformat(), "deleted": deleted},
            )
    return deleted
