from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core.audit import audit_trail_prune
from core.models import Notification


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=60,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=5,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail each notice once. Each is locked, sent and marked in its own transaction, so a
    retry after a mail-server failure, or a redelivery after a worker died, sends only what
    was not sent yet."""
    sent = 0
    for pk in notification_ids:
        with transaction.atomic():
            n = (
                Notification.objects.select_for_update(skip_locked=True)
                .select_related("recipient")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if n is None or not n.recipient.email:
                continue
            link = f"\n\n{settings.SITE_URL}{n.url}" if n.url else ""
            sent += send_mail(
                subject=f"【绩效分级】{n.message[:40]}",
                message=f"{n.message}{link}",
                from_email=None,
                recipient_list=[n.recipient.email],
                fail_silently=False,
            )
            Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
    return sent


@shared_task(name="core.tasks.fail_stalled_jobs", acks_late=True, ignore_result=True)
def fail_stalled_jobs() -> int:
    """Beat, every minute: end the jobs whose worker stopped sending its heartbeat."""
    from core.jobs import stalled_jobs_fail

    return stalled_jobs_fail()


@shared_task
def prune_audit_trail() -> int:
    """Daily: drop audit rows past the retention period (at least 180 days, 等保三级)."""
    return audit_trail_prune()
