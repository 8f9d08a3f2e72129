"""The worker task of the monthly approval-form bundle (review/services/bundles.py).

Imported by ``review.tasks`` so that the worker's autodiscovery registers it."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, soft_time_limit=20 * 60, time_limit=21 * 60)
def render_bundle(self, bundle_pk: int) -> str:
    from review.services.bundles import bundle_render

    return bundle_render(bundle_pk)
