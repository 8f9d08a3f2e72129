"""The approval form (审核意见表, R-REV-4) of one opinion and the monthly bundle, rendered by
the worker."""

from celery import shared_task

from review.services.bundles import bundle_render
from review.services.case_forms import case_form_render
from review.services.rendering import approval_form_render


@shared_task(name="review.tasks.render_approval_form", bind=True, acks_late=True)
def render_approval_form(self, form_pk: int) -> str:
    return approval_form_render(form_pk)


@shared_task(
    name="review.bundle_tasks.render_bundle",
    bind=True,
    acks_late=True,
    soft_time_limit=20 * 60,
    time_limit=21 * 60,
)
def render_bundle(self, bundle_pk: int) -> str:
    return bundle_render(bundle_pk)


@shared_task(name="review.tasks.render_case_form", bind=True, acks_late=True)
def render_case_form(self, form_pk: int) -> str:
    """A downgrade case's or an appeal's signed opinion as its form (R-DYN-1, R-REV-10)."""
    return case_form_render(form_pk)
