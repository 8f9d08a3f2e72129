"""Notifying users in the app and by e-mail (Django's mail backend, sent by a worker after the
transaction commits, so a rolled-back action notifies nobody)."""

from collections.abc import Iterable

from django.db import transaction

from core.models import Notification
from core.tasks import send_notification_emails


def notify(*, recipients: Iterable, code: str, message: str, url: str = "") -> list[Notification]:
    """Create one in-app notice per active recipient (deduplicated) and queue the e-mails."""
    seen, created = set(), []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        created.append(
            Notification.objects.create(recipient=user, code=code, message=message[:300], url=url)
        )
    emails = [(n.pk, n.recipient.email) for n in created if n.recipient.email]
    if emails:
        ids = [pk for pk, _ in emails]
        transaction.on_commit(lambda: send_notification_emails.delay(ids))
    return created


def unread_for(user):
    return Notification.objects.filter(recipient=user, read_at__isnull=True)
