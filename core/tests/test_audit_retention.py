"""Retention of the audit trail (等保三级): at least 180 days, whatever the setting says; the
daily task drops only older rows, and PostgreSQL refuses any other delete."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.audit import audit_trail_prune, event_record
from core.models import AuditEvent
from core.tasks import prune_audit_trail

pytestmark = pytest.mark.django_db


def _event_aged(days: int) -> AuditEvent:
    return AuditEvent.objects.create(
        code="test.aged", summary=f"{days}天前", at=timezone.now() - timedelta(days=days)
    )


def test_prune_keeps_every_row_younger_than_180_days_even_if_told_fewer(settings):
    settings.GRADING = {**settings.GRADING, "AUDIT_RETENTION_DAYS": 30}
    young = [_event_aged(d) for d in (0, 31, 179)]
    old = _event_aged(181)
    assert prune_audit_trail() == 1
    assert set(AuditEvent.objects.filter(code="test.aged").values_list("pk", flat=True)) == {
        e.pk for e in young
    }
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    pruned = AuditEvent.objects.get(code="audit.pruned")
    assert pruned.data["deleted"] == 1


def test_a_longer_retention_setting_is_honoured(settings):
    settings.GRADING = {**settings.GRADING, "AUDIT_RETENTION_DAYS": 400}
    kept = _event_aged(300)
    assert audit_trail_prune() == 0
    assert AuditEvent.objects.filter(pk=kept.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_a_pruning_delete_of_young_rows(county_user):
    event = event_record(code="test.young", actor=county_user, target=None, summary="新")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Even with the pruning flag and a retention of 1 day, the trigger keeps 180.
        cursor.execute("SELECT set_config('jixiao.audit_prune', 'on', true)")
        cursor.execute("SELECT set_config('jixiao.audit_retention_days', '1', true)")
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_prune_runs_daily_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["prune-audit-trail"]
    assert entry["task"] == "core.tasks.prune_audit_trail"
