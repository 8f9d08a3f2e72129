"""The audit trail is append-only, in the ORM and (on PostgreSQL) in the database itself, and
records where each event came from and how it ended (等保三级)."""

import pytest
from django.db import DatabaseError, connection, transaction

from core.audit import event_record
from core.models import AuditEvent, AuditTrailIsAppendOnly

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(county_user):
    return event_record(code="test.event", actor=county_user, target=county_user, summary="测试")


def test_orm_refuses_to_edit_or_delete_an_event(event):
    event.summary = "改过"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(summary="改过")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == "测试"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_update_and_delete_below_the_orm(event):
    for sql in (
        "UPDATE core_auditevent SET summary = 'x' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).summary == "测试"


def test_events_of_a_request_carry_its_address_and_logins_are_recorded(client, county_user):
    county_user.set_password("Zx-9a!long")
    county_user.save()
    client.post("/accounts/login/", {"username": county_user.username, "password": "wrong"})
    client.post("/accounts/login/", {"username": county_user.username, "password": "Zx-9a!long"})
    client.post("/accounts/logout/")
    codes = list(
        AuditEvent.objects.filter(code__startswith="account.")
        .order_by("id")
        .values_list("code", "outcome", "address")
    )
    assert codes == [
        ("account.login_failed", "failure", "127.0.0.1"),
        ("account.login", "success", "127.0.0.1"),
        ("account.logout", "success", "127.0.0.1"),
    ]
