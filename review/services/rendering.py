"""Rendering the form of a signed opinion (002 附件1): the approval form (审核意见表; R-REV-4,
R-REV-5) of a first review, city review or province check, and the on-site verification form
(现场核查意见表; R-REV-3) of the panel's on-site record, with the visit date and the panel's
核查情况 and 核查结论.

The worker (``review.tasks.render_approval_form``) calls ``approval_form_render`` for one
``ApprovalForm`` row. The form shows what the reviewed version froze (enterprise, industry,
requested grade) and what the opinion says; its signers get a signature line each. Every
request is a new row with its own file (``review.services.forms.approval_form_request``): the
file of an earlier revision is never changed or deleted.
"""

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.documents import render_pdf
from declarations.models import Declaration
from grading.models import User
from review.models import ApprovalForm, Opinion
from review.services.decisions import decision_label

logger = logging.getLogger(__name__)

TEMPLATE = "review/approval_form.html"
#: The on-site record has its own form (现场核查意见表); every other kind the approval form.
TEMPLATES = {Opinion.Kind.ON_SITE: "review/onsite_form.html"}


def chinese_date(moment) -> str:
    """A date (or a moment, in local time) as printed on forms: 2026年3月5日."""
    day = moment if not hasattr(moment, "hour") else timezone.localdate(moment)
    return f"{day.year}年{day.month}月{day.day}日"


def _verification(opinion: Opinion) -> dict | None:
    """What the on-site form adds: the visit date, the recommended grade, the rectifications
    required and how many photos were taken."""
    verification = getattr(opinion, "verification", None)
    if verification is None:
        return None
    return {
        "visited_on": chinese_date(verification.visited_on),
        "recommended_grade": verification.recommended_grade.name,
        "rectifications": [
            {"requirement": r.requirement, "due_on": chinese_date(r.due_on)}
            for r in verification.rectifications.all()
        ],
        "photos": verification.photos.count(),
    }


def _signer_line(user: User) -> dict:
    """Name and capacity of one member of the review group (R-REV-5)."""
    if user.role == User.Role.EXPERT:
        profile = getattr(user, "expert_profile", None)
        parts = ["专家"]
        if profile is not None:
            parts += [p for p in (profile.employer, profile.title) if p]
        capacity = " · ".join(parts)
    else:
        capacity = User.Role(user.role).label
        if user.region_id:
            capacity = f"{user.region.name} · {capacity}"
    return {"name": user.display_name, "capacity": capacity}


def _signers_in_order(opinion: Opinion) -> list[User]:
    """Staff by role, then experts; on the on-site form the panel's experts come first."""
    signers = opinion.signers.select_related("region", "expert_profile").order_by("role", "pk")
    if opinion.kind != Opinion.Kind.ON_SITE:
        return list(signers)
    return sorted(signers, key=lambda u: u.role != User.Role.EXPERT)


def approval_form_context(form: ApprovalForm) -> dict:
    opinion = form.opinion
    case = opinion.case
    declaration = case.declaration
    snap = case.version.snapshot or {}
    fields = snap.get("declaration", {})
    control_type = fields.get("control_type", declaration.control_type)
    return {
        "form": form,
        "opinion": opinion,
        "case": case,
        "declaration": declaration,
        "enterprise_name": snap.get("enterprise", {}).get("name", declaration.enterprise.name),
        "industry_name": snap.get("industry", declaration.industry.name),
        "requested_grade": snap.get("requested_grade", declaration.requested_grade.name),
        "control_type": dict(Declaration.ControlType.choices).get(control_type, control_type),
        "signed_on": chinese_date(opinion.signed_at),
        "verification": _verification(opinion),
        "decision_label": decision_label(opinion),
        "indicators": [
            {
                "category": i.indicator_row.category.name,
                "verdict": i.get_verdict_display(),
                "text": i.text,
            }
            for i in opinion.indicators.select_related("indicator_row__category")
        ],
        "signers": [_signer_line(u) for u in _signers_in_order(opinion)],
        "generated_at": timezone.localtime(),
    }


def _file_name(form: ApprovalForm) -> str:
    number = form.opinion.case.declaration.number
    return f"{number}-{form.opinion_id}-r{form.revision}.pdf"


def approval_form_render(form_pk: int) -> str:
    """Render one ApprovalForm row to its own file and offer it (status ready, sha256).

    A row already rendered is left alone (a redelivered task does nothing); a failure marks the
    row failed with the error and re-raises for the worker to log or retry."""
    form = ApprovalForm.objects.select_related(
        "opinion__case__declaration__enterprise",
        "opinion__case__declaration__industry",
        "opinion__case__declaration__requested_grade",
        "opinion__case__version",
        "opinion__grade",
        "opinion__verification__recommended_grade",  # none unless the on-site form
    ).get(pk=form_pk)
    return form_row_render(
        form,
        template=TEMPLATES.get(form.opinion.kind, TEMPLATE),
        context=lambda: approval_form_context(form),
        file_name=_file_name(form),
    )


def form_row_render(form, *, template: str, context, file_name: str) -> str:
    """Render a form row (an ``ApprovalForm`` or a ``CaseOpinionForm``) to its own file and
    offer it; the one way signed forms are rendered and kept. ``context`` is called only when
    the row still needs rendering."""
    model = type(form)
    if form.status == model.Status.READY and form.file:
        return form.sha256
    model.objects.filter(pk=form.pk).update(status=model.Status.RUNNING, error="")
    try:
        pdf = render_pdf(template=template, context=context())
    except Exception as exc:
        logger.exception("%s %s failed to render", model.__name__, form.pk)
        model.objects.filter(pk=form.pk).update(status=model.Status.FAILED, error=str(exc)[:300])
        raise
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        form = model.objects.select_for_update().get(pk=form.pk)
        if form.status == model.Status.READY and form.file:
            return form.sha256  # rendered meanwhile by another worker
        # The storage never overwrites an existing name, so no earlier file can be replaced.
        form.file.save(file_name, ContentFile(pdf), save=False)
        form.sha256 = digest
        form.status = model.Status.READY
        form.rendered_at = timezone.now()
        form.error = ""
        form.save(update_fields=["file", "sha256", "status", "rendered_at", "error"])
    return digest
