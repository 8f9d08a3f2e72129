"""The approval form (审核意见表, R-REV-4) of one opinion and the monthly bundle, rendered by
the worker."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.jobs import JobKind, job_kind, job_run
from review.models import ApprovalForm, ApprovalFormBundle, CaseOpinionForm
from review.services.bundles import bundle_render
from review.services.case_forms import case_form_render
from review.services.rendering import approval_form_render

#: Passing faults (a database restart): the task runs again after a backoff; renders are
#: idempotent (a row already rendered is left alone).
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": 5, "retry_backoff_max": 120, "max_retries": 5}

job_kind(
    "review.tasks.render_approval_form",
    JobKind(model=ApprovalForm, progress_field=None, final=("ready", "failed")),
)
job_kind(
    "review.bundle_tasks.render_bundle",
    JobKind(model=ApprovalFormBundle, final=("ready", "failed")),
)
job_kind(
    "review.tasks.render_case_form",
    JobKind(model=CaseOpinionForm, progress_field=None, final=("ready", "failed")),
)


@shared_task(name="review.tasks.render_approval_form", bind=True, acks_late=True, **RETRY)
def render_approval_form(self, form_pk: int) -> str:
    with job_run(self, self.name, form_pk) as run:
        return "" if run.skip else approval_form_render(form_pk)


@shared_task(
    name="review.bundle_tasks.render_bundle",
    bind=True,
    acks_late=True,
    soft_time_limit=20 * 60,
    time_limit=21 * 60,
    **RETRY,
)
def render_bundle(self, bundle_pk: int) -> str:
    with job_run(self, self.name, bundle_pk) as run:
        return "" if run.skip else bundle_render(bundle_pk)


@shared_task(name="review.tasks.render_case_form", bind=True, acks_late=True, **RETRY)
def render_case_form(self, form_pk: int) -> str:
    """A downgrade case's or an appeal's signed opinion as its form (R-DYN-1, R-REV-10)."""
    with job_run(self, self.name, form_pk) as run:
        return "" if run.skip else case_form_render(form_pk)
