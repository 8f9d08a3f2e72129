"""Monthly bundle of approval forms (审核意见表, 002 附件1; R-REV-4): every first-review,
city-review and province-check opinion signed in one month for the enterprises of a county or
of a city's counties, merged into one PDF for printing and filing.

``bundle_request`` checks who asks and queues the worker; ``bundle_render`` (run by the
worker's ``review.tasks.render_bundle``) renders what is missing, merges, reports progress and
offers the file only when it is complete.
"""

import datetime
import hashlib
import io
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from core.audit import event_record
from core.jobs import broker_check, job_enqueue
from grading.models import Region, User
from review.models import ApprovalForm, ApprovalFormBundle, Opinion
from review.rules import require
from review.services.forms import FORM_KINDS
from review.services.rendering import approval_form_render

logger = logging.getLogger(__name__)

EMPTY_MONTH = "该月没有已签署的审核意见"


def bundle_units(region: Region) -> QuerySet[Region]:
    """The county-level units whose enterprises a bundle of ``region`` covers: the county itself,
    or a city's counties (and the city itself where it reviews as a county)."""
    if region.level == Region.Level.COUNTY:
        return Region.objects.filter(pk=region.pk)
    if region.level == Region.Level.CITY:
        return Region.objects.filter(
            Q(pk=region.pk, reviews_as_county=True) | Q(parent=region, level=Region.Level.COUNTY)
        )
    raise ValidationError({"region": _("请选择县（市、区）或省辖市")})


def _month_bounds(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, month, 1, tzinfo=tz)
    end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start, end


@transaction.atomic
def bundle_request(*, actor: User, region: Region, year: int, month: int) -> ApprovalFormBundle:
    """Queue the bundle of ``region``'s approval forms signed in ``year``-``month`` (R-REV-4)."""
    # County and city staff for their own jurisdiction, the province for all of it.
    require(actor, "review.request_bundle", bundle_units(region))
    if not 1 <= month <= 12:
        raise ValidationError({"month": _("月份应为1至12")})
    today = timezone.localdate()
    if (year, month) > (today.year, today.month):
        raise ValidationError({"month": _("不能生成未来月份的审核意见表")})
    broker_check()
    bundle = ApprovalFormBundle.objects.create(
        region=region, year=year, month=month, requested_by=actor
    )
    event_record(
        code="review.form.bundle_requested",
        actor=actor,
        target=bundle,
        summary=f"批量生成{region.name}{year}年{month}月审核意见表",
        data={"bundle": bundle.pk, "region": region.code, "year": year, "month": month},
    )
    from review.tasks import render_bundle  # the worker's task imports the services

    transaction.on_commit(lambda: job_enqueue(render_bundle, bundle.pk))
    return bundle


def bundle_opinions(bundle: ApprovalFormBundle) -> QuerySet[Opinion]:
    """The month's signed opinions that have a form, in filing order: county code, enterprise
    name, signing time."""
    start, end = _month_bounds(bundle.year, bundle.month)
    return (
        Opinion.objects.filter(
            kind__in=FORM_KINDS,
            signed_at__gte=start,
            signed_at__lt=end,
            case__declaration__enterprise__county__in=bundle_units(bundle.region),
        )
        .select_related("case__declaration__enterprise__county")
        .order_by(
            "case__declaration__enterprise__county__code",
            "case__declaration__enterprise__name",
            "signed_at",
            "pk",
        )
    )


def _ready_form(opinion: Opinion, requested_by: User) -> ApprovalForm:
    """The opinion's newest ready form; one not yet rendered is rendered here and now."""
    ready = (
        ApprovalForm.objects.filter(opinion=opinion, status=ApprovalForm.Status.READY)
        .exclude(file="")
        .order_by("-revision")
        .first()
    )
    if ready is not None:
        return ready
    form = ApprovalForm.objects.filter(opinion=opinion).order_by("-revision").first()
    if form is None:
        form = ApprovalForm.objects.create(opinion=opinion, revision=1, requested_by=requested_by)
    approval_form_render(form.pk)
    return ApprovalForm.objects.get(pk=form.pk)


def _progress(bundle_pk: int, status: str, progress: int, **extra) -> None:
    ApprovalFormBundle.objects.filter(pk=bundle_pk).update(
        status=status, progress=progress, **extra
    )


def bundle_render(bundle_pk: int) -> str:
    """Render one bundle; the file is offered only when complete (status ready with sha256).
    An empty month fails with a message the requester can read."""
    bundle = ApprovalFormBundle.objects.select_related("region", "requested_by").get(pk=bundle_pk)
    if bundle.status == ApprovalFormBundle.Status.READY and bundle.file:
        return bundle.sha256
    running = ApprovalFormBundle.Status.RUNNING
    _progress(bundle_pk, running, 2, error="")
    try:
        opinions = list(bundle_opinions(bundle))
        if not opinions:
            _progress(bundle_pk, ApprovalFormBundle.Status.FAILED, 0, error=EMPTY_MONTH, count=0)
            return ""
        writer = PdfWriter()
        for n, opinion in enumerate(opinions, start=1):
            form = _ready_form(opinion, bundle.requested_by)
            with form.file.open("rb") as fh:
                writer.append(PdfReader(io.BytesIO(fh.read())))
            _progress(bundle_pk, running, 5 + 85 * n // len(opinions))
        out = io.BytesIO()
        writer.write(out)
        pdf = out.getvalue()
    except Exception as exc:
        logger.exception("approval form bundle %s failed", bundle_pk)
        _progress(bundle_pk, ApprovalFormBundle.Status.FAILED, 0, error=str(exc)[:300])
        raise
    _progress(bundle_pk, running, 95)
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        bundle = ApprovalFormBundle.objects.select_for_update().get(pk=bundle_pk)
        region = bundle.region
        bundle.file.save(
            f"approval-forms-{region.code}-{bundle.year}-{bundle.month:02d}-b{bundle.pk}.pdf",
            ContentFile(pdf),
            save=False,
        )
        bundle.sha256 = digest
        bundle.count = len(opinions)
        bundle.status = ApprovalFormBundle.Status.READY
        bundle.progress = 100
        bundle.rendered_at = timezone.now()
        bundle.save(
            update_fields=["file", "sha256", "count", "status", "progress", "rendered_at", "error"]
        )
    return digest
