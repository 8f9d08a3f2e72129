"""The approval form (and the monthly bundle) rendered by a real Celery worker over the real
Redis broker, reading and writing the real (test) PostgreSQL database (R-REV-4)."""

import hashlib
import time
from pathlib import Path

import pytest
from django.utils import timezone

import review.tasks
from declarations.tests.test_worker import REQUIRED, worker  # noqa: F401  (the worker fixture)
from grading.models import Region
from review.models import ApprovalForm, ApprovalFormBundle
from review.services.bundles import bundle_request
from review.services.decisions import first_review_open, review_sign
from review.tests.test_forms import compact, pdf_pages, pdf_text, submitted
from tests import factories

pytestmark = [
    pytest.mark.skipif(
        not REQUIRED,
        reason="needs PostgreSQL, Redis and a Celery worker: set GRADING_REQUIRE_SERVICES=1 "
        "(scripts/test does) with DATABASE_URL and REDIS_URL",
    ),
    pytest.mark.django_db(transaction=True),
]

RENDER_TIMEOUT = 60


def wait_for(model, pk: int, log: Path):
    """Poll a row until the worker has finished with it (ready or failed)."""
    done = (model.Status.READY, model.Status.FAILED)
    deadline = time.monotonic() + RENDER_TIMEOUT
    while True:
        row = model.objects.get(pk=pk)
        if row.status in done or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert row.status == model.Status.READY, (
        f"{row.status} {row.error}\n{log.read_text(errors='replace')}"
    )
    return row


def sign_on_the_worker(settings, county_user):
    """Build the declaration in-process, then sign with tasks going to the broker."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    enterprise = factories.enterprise(county="410184", industry="N31")
    declaration = submitted(factories.enterprise_user(enterprise))
    case = first_review_open(actor=county_user, declaration=declaration)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    opinion = review_sign(
        actor=county_user,
        case=case,
        decision="return",
        summary="经审核，部分证明材料不清晰。",
        conclusion="退回企业补充证明材料。",
        signers=[county_user],
    )
    return enterprise, opinion


def test_the_worker_renders_the_approval_form(worker, settings):  # noqa: F811
    county_user = factories.staff_user("county", "410184")
    enterprise, opinion = sign_on_the_worker(settings, county_user)
    form = ApprovalForm.objects.get(opinion=opinion)
    form = wait_for(ApprovalForm, form.pk, worker)
    assert form.revision == 1
    assert form.rendered_at is not None
    path = Path(form.file.path)
    content = path.read_bytes()
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == form.sha256
    text = compact(pdf_text(path))
    assert "重污染天气绩效分级审核意见表" in text
    assert enterprise.name in text
    assert "退回企业补充证明材料。" in text
    assert pdf_pages(path) == 1


@pytest.mark.skipif(
    not hasattr(review.tasks, "render_bundle"),
    reason="review/tasks.py does not yet import review.bundle_tasks.render_bundle, so the "
    "worker would not know the task",
)
def test_the_worker_renders_the_monthly_bundle(worker, settings):  # noqa: F811
    county_user = factories.staff_user("county", "410184")
    enterprise, opinion = sign_on_the_worker(settings, county_user)
    wait_for(ApprovalForm, ApprovalForm.objects.get(opinion=opinion).pk, worker)
    today = timezone.localdate()
    bundle = bundle_request(
        actor=county_user,
        region=Region.objects.get(code="410184"),
        year=today.year,
        month=today.month,
    )
    bundle = wait_for(ApprovalFormBundle, bundle.pk, worker)
    assert (bundle.progress, bundle.count) == (100, 1)
    path = Path(bundle.file.path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == bundle.sha256
    assert pdf_pages(path) == 1
    assert enterprise.name in compact(pdf_text(path))
