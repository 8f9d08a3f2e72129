"""Requesting the approval form (审核意见表, R-REV-4) of a signed opinion. The worker renders
it (``review.tasks.render_approval_form``); each request is a new revision, the earlier files
stay."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import User
from review.models import ApprovalForm, Opinion
from review.rules import require

# Opinions that produce an approval form: first review, city review and province check.
FORM_KINDS = (Opinion.Kind.FIRST_REVIEW, Opinion.Kind.CITY_REVIEW, Opinion.Kind.PROVINCE_CHECK)


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
            summary=f"重新生成审核意见表（第{form.revision}次）",
            data={"opinion": opinion.pk, "form": form.pk},
        )
    from review.tasks import render_approval_form  # the worker's task imports the services

    transaction.on_commit(lambda: render_approval_form.delay(form.pk))
    return form


def approval_form_rerequest(*, actor: User, opinion: Opinion) -> ApprovalForm:
    """A reviewer asks for the form again (a new revision; the earlier files stay).
    Enterprises and experts read forms but do not produce them (R-REV-4)."""
    require(actor, "review.rerender_approval_form", opinion.case)
    if opinion.kind not in FORM_KINDS:
        raise ValidationError(_("该类意见不生成审核意见表"))
    return approval_form_request(actor=actor, opinion=opinion)
