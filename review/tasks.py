"""Celery tasks of the review chain (the approval form PDF is written in the next step)."""

from celery import shared_task


@shared_task(bind=True, acks_late=True)
def render_approval_form(self, form_pk: int) -> str:
    from review.services.rendering import approval_form_render

    return approval_form_render(form_pk)


@shared_task(acks_late=True)
def remind_reapplications(year: int | None = None) -> int:
    """R-REV-11, run yearly by beat: last year's A and B re-apply under the current indicators."""
    from django.utils import timezone

    from review.services.annual import reapplication_remind

    return reapplication_remind(year=year or timezone.localdate().year)


from review.bundle_tasks import render_bundle  # noqa: E402, F401  (autodiscovery finds tasks.py)
