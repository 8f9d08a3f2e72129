"""Requesting the form of a signed opinion: the approval form (审核意见表, R-REV-4) of a
first review, city review or province check, and the on-site verification form (现场核查意见表,
002 附件1, R-REV-3) of the panel's on-site record. The worker renders it
(``review.tasks.render_approval_form``); each request is a new revision, the earlier files
stay."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.audit import event_record
from core.jobs import broker_check, job_enqueue
from grading.models import User
from review.models import ApprovalForm, Opinion
from review.rules import require

# Opinions that produce a form: first review, city review and province check (审核意见表) and
# the panel's on-site record (现场核查意见表).
FORM_KINDS = (
    Opinion.Kind.FIRST_REVIEW,
    Opinion.Kind.ON_SITE,
    Opinion.Kind.CITY_REVIEW,
    Opinion.Kind.PROVINCE_CHECK,
)


def form_title(opinion: Opinion) -> str:
    """The name of the opinion's form, as printed on it and offered for download."""
    if opinion.kind == Opinion.Kind.ON_SITE:
        return str(_("现场核查意见表"))
    return str(_("审核意见表"))


@transaction.atomic
def approval_form_request(*, actor: User, opinion: Opinion) -> ApprovalForm | None:
    if opinion.kind not in FORM_KINDS:
        return None
    last = ApprovalForm.objects.filter(opinion=opinion).aggregate(m=Max("revision"))["m"] or 0
    form = ApprovalForm.objects.create(opinion=opinion, revision=last + 1, requested_by=actor)
    if last:
        event_record(
            code="review.form.rerender_requested",
            actor=actor,
            target=opinion.case.declaration,
            summary=_("重新生成%(title)s（第%(n)d次）")
            % {"title": form_title(opinion), "n": form.revision},
            data={"opinion": opinion.pk, "form": form.pk},
        )
    from review.tasks import render_approval_form  # the worker's task imports the services

    transaction.on_commit(lambda: job_enqueue(render_approval_form, form.pk))
    return form


def approval_form_rerequest(*, actor: User, opinion: Opinion) -> ApprovalForm:
    """A reviewer asks for the form again (a new revision; the earlier files stay).
    Enterprises and experts read forms but do not produce them (R-REV-4)."""
    require(actor, "review.rerender_approval_form", opinion.case)
    if opinion.kind not in FORM_KINDS:
        raise ValidationError(_("该类意见不生成审核意见表"))
    broker_check()
    return approval_form_request(actor=actor, opinion=opinion)
