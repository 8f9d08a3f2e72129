from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from core.models import Notification


@shared_task(acks_late=True, max_retries=3, default_retry_delay=60)
def send_notification_emails(notification_ids: list[int]) -> int:
    sent = 0
    for n in Notification.objects.filter(pk__in=notification_ids).select_related("recipient"):
        link = f"\n\n{settings.SITE_URL}{n.url}" if n.url else ""
        sent += send_mail(
            subject=f"【绩效分级】{n.message[:40]}",
            message=f"{n.message}{link}",
            from_email=None,
            recipient_list=[n.recipient.email],
            fail_silently=False,
        )
    return sent
