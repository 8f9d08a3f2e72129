"""The yearly reminder to re-apply (R-REV-11), run by the beat schedule."""

from celery import shared_task
from django.utils import timezone

from review.services.annual import reapplication_remind


@shared_task(name="review.tasks.remind_reapplications", acks_late=True)
def remind_reapplications(year: int | None = None) -> int:
    """R-REV-11, run daily by beat: last year's A and B re-apply under the current indicators
    (reminded once a year and before their batch's deadline; a rerun sends nothing twice)."""
    return reapplication_remind(year=year or timezone.localdate().year)
