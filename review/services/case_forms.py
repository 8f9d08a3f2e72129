"""The forms of signed case opinions (R-DYN-1, R-REV-10): a downgrade case's second-review
opinion and decision, rendered by the worker (``review.tasks.render_case_form``) and kept like
the approval forms: each request a new revision with its own file, the earlier ones stay."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from core.jobs import job_enqueue
from grading.models import User
from review.models import CaseOpinion, CaseOpinionForm
from review.rules import require
from review.services.rendering import _signer_line, chinese_date, form_row_render

TEMPLATE = "review/case_opinion_form.html"


def case_form_title(opinion: CaseOpinion) -> str:
    review = opinion.kind == CaseOpinion.Kind.SECOND_REVIEW
    if opinion.appeal_id:
        return str(_("绩效等级复核专家意见表") if review else _("绩效等级复核决定书"))
    return str(_("绩效分级专家二次审核意见表") if review else _("绩效等级动态调整处理决定书"))


def _case_of(opinion: CaseOpinion):
    return opinion.subject


@transaction.atomic
def case_form_request(*, actor: User, opinion: CaseOpinion) -> CaseOpinionForm:
    last = CaseOpinionForm.objects.filter(opinion=opinion).aggregate(m=Max("revision"))["m"] or 0
    form = CaseOpinionForm.objects.create(opinion=opinion, revision=last + 1, requested_by=actor)
    if last:
        event_record(
            code="review.case_form.rerender_requested",
            actor=actor,
            target=_case_of(opinion),
            summary=_("重新生成%(title)s（第%(n)d次）")
            % {"title": case_form_title(opinion), "n": form.revision},
            data={"opinion": opinion.pk, "form": form.pk},
        )
    from review.tasks import render_case_form  # the worker's task imports the services

    transaction.on_commit(lambda: job_enqueue(render_case_form, form.pk))
    return form


def case_form_rerequest(*, actor: User, opinion: CaseOpinion) -> CaseOpinionForm:
    """A bureau asks for the form again; enterprises and experts only read it."""
    require(actor, "review.rerender_case_form", _case_of(opinion))
    return case_form_request(actor=actor, opinion=opinion)


def _grade_before(case) -> str:
    """The grade the case started from: recorded at the decision, the current one before."""
    if case.grade_before is not None:
        return case.grade_before.name
    row = case.enterprise.industries.filter(industry=case.industry).select_related("current_grade")
    current = row.first()
    return current.current_grade.name if current and current.current_grade else ""


def _downgrade_facts(case) -> dict:
    return {
        "facts_title": _("降级事由"),
        "facts": [
            {
                "what": t.get_reason_display(),
                "source": t.get_source_display(),
                "reference": t.reference,
                "on": chinese_date(t.occurred_on),
                "detail": t.detail,
            }
            for t in case.triggers.all()
        ],
        "grade_before": _grade_before(case),
        "number_label": _("案卷编号"),
    }


def _appeal_facts(appeal) -> dict:
    decision = (
        _("降级处理决定 %s") % appeal.downgrade_case.number
        if appeal.downgrade_case_id
        else _("县级直接评定")
    )
    return {
        "facts_title": _("申请复核的决定"),
        "facts": [
            {
                "what": decision,
                "source": _("县级决定等级：%s") % appeal.grade_contested.name,
                "reference": "",
                "on": chinese_date(appeal.contested_on),
                "detail": _("企业申请理由：%s") % appeal.reasons,
            }
        ],
        "grade_before": appeal.grade_contested.name,
        "number_label": _("复核编号"),
    }


def case_form_context(form: CaseOpinionForm) -> dict:
    opinion = form.opinion
    case = _case_of(opinion)
    is_decision = opinion.kind == CaseOpinion.Kind.DECISION
    is_appeal = bool(opinion.appeal_id)
    facts = _appeal_facts(case) if is_appeal else _downgrade_facts(case)
    appeal_due = getattr(case, "appeal_due", None)
    return {
        **facts,
        "form": form,
        "opinion": opinion,
        "case": case,
        "is_appeal": is_appeal,
        "title": case_form_title(opinion),
        "enterprise_name": case.enterprise.name,
        "industry_name": case.industry.name,
        "signed_on": chinese_date(opinion.signed_at),
        "is_decision": is_decision,
        "appeal_due": chinese_date(appeal_due) if is_decision and appeal_due else "",
        "city_name": case.enterprise.county.city.name if case.enterprise.county.city else "",
        "signers": [
            _signer_line(u)
            for u in opinion.signers.select_related("region", "expert_profile").order_by(
                "role", "pk"
            )
        ],
        "generated_at": timezone.localtime(),
    }


def case_form_render(form_pk: int) -> str:
    form = CaseOpinionForm.objects.select_related(
        "opinion__downgrade_case__enterprise__county__parent",
        "opinion__downgrade_case__industry",
        "opinion__downgrade_case__grade_before",
        "opinion__appeal__enterprise__county__parent",
        "opinion__appeal__industry",
        "opinion__appeal__grade_contested",
        "opinion__grade",
    ).get(pk=form_pk)
    case = _case_of(form.opinion)
    return form_row_render(
        form,
        template=TEMPLATE,
        context=lambda: case_form_context(form),
        file_name=f"{case.number}-{form.opinion_id}-r{form.revision}.pdf",
    )
