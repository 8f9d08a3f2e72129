"""Pages of downgrade cases (R-DYN-1): the list with the county's form to report an
inspection, a public report or an alert measure; a case's page with the city's panel, the
second-review opinion, the county's four-eyes decision and the forms; form downloads; the
re-review a county opens from a change report (R-ELIG-5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import event_list_for
from core.downloads import file_download
from core.forms import add_service_errors, error_text
from declarations.forms import ChangeHandleForm
from declarations.selectors import change_report_get
from grading.models import Grade
from review import forms as rforms
from review.models import CaseOpinionForm, DowngradeCase
from review.rules import allows
from review.selectors import downgrades as selectors
from review.selectors.experts import enterprise_in_reach_by_uscc, expert_suggestions_for
from review.services import change_reports, downgrades
from review.services.case_forms import case_form_rerequest, case_form_title

Stage = DowngradeCase.Stage
PREFILL = ("enterprise_uscc", "reason", "occurred_on", "reference", "detail")


@login_required
@require_http_methods(["GET", "POST"])
def downgrade_list_page(request):
    user = request.user
    can_open = allows(user, "review.open_downgrade")
    form = None
    if can_open:
        reasons = [(r, DowngradeCase.Reason(r).label) for r in downgrades.REPORTED_REASONS]
        # Other pages link here with the facts filled in (an alert's duty row: the enterprise,
        # the reason, the alert's number and its dates); the county checks and submits.
        prefill = {k: request.GET[k][:300] for k in PREFILL if request.GET.get(k)}
        if prefill.get("reason") not in downgrades.REPORTED_REASONS:
            prefill.pop("reason", None)
        form = rforms.DowngradeOpenForm(request.POST or None, reasons=reasons, initial=prefill)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("只有企业所属县级生态环境部门可以立案降级处理"))
        if form.is_valid():
            data = form.cleaned_data
            enterprise = enterprise_in_reach_by_uscc(viewer=user, uscc=data.pop("enterprise_uscc"))
            if enterprise is None:
                form.add_error("enterprise_uscc", _("本辖区内未找到该企业"))
            else:
                try:
                    case = downgrades.downgrade_case_open(actor=user, enterprise=enterprise, **data)
                    messages.success(request, _("已立案：%s") % case.number)
                    return redirect("review:downgrade", pk=case.pk)
                except ValidationError as exc:
                    add_service_errors(form, exc)
    stage = request.GET.get("stage", "")
    cases = selectors.downgrade_list(viewer=user, stage=stage if stage in Stage.values else "")
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "review/downgrades.html",
        {"page": page, "form": form, "stages": Stage.choices, "stage": stage},
    )


def _outcome_form(request, case, action: str, *, signers):
    outcomes = DowngradeCase.Outcome.choices
    grades = Grade.objects.filter(pk__in=[g.pk for g in downgrades.grade_choices(case)])
    return rforms.OutcomeForm(
        request.POST if request.POST.get("action") == action else None,
        prefix=action[0],
        outcomes=outcomes,
        grades=grades.order_by("severity"),
        actor=request.user,
        signer_queryset=signers,
    )


def _action_forms(request, case: DowngradeCase) -> dict:
    user = request.user
    forms = {"panel": None, "second_review": None, "decide": None}
    if case.stage == Stage.SECOND_REVIEW:
        if allows(user, "review.assign_downgrade_panel", case):
            experts = expert_suggestions_for(enterprise=case.enterprise, industry=case.industry)
            first = list(experts.values_list("pk", flat=True)[:30])
            forms["panel"] = rforms.PanelForm(
                request.POST if request.POST.get("action") == "panel" else None,
                prefix="p",
                experts=experts.filter(pk__in=first),
            )
        if hasattr(case, "panel") and allows(user, "review.sign_second_review", case):
            forms["second_review"] = _outcome_form(
                request,
                case,
                "second_review",
                signers=selectors.second_review_signers(case=case),
            )
    if case.stage == Stage.COUNTY and allows(user, "review.decide_downgrade", case):
        forms["decide"] = _outcome_form(
            request, case, "decide", signers=selectors.decision_signers(case=case)
        )
    return forms


def _act(request, case, action: str, form) -> str:
    data = form.cleaned_data
    user = request.user
    if action == "panel":
        downgrades.downgrade_panel_assign(
            actor=user, case=case, experts=list(data["experts"]), leader=data["leader"]
        )
        return _("专家组已组建")
    service = (
        downgrades.downgrade_second_review_sign
        if action == "second_review"
        else downgrades.downgrade_decide
    )
    service(
        actor=user,
        case=case,
        outcome=data["outcome"],
        grade=data["grade"],
        summary=data["summary"],
        conclusion=data["conclusion"],
        signers=list(data["signers"]),
    )
    return _("意见已签署")


@login_required
@require_http_methods(["GET", "POST"])
def downgrade_detail(request, pk: int):
    user = request.user
    case = selectors.downgrade_get(viewer=user, pk=pk, record=True)
    forms = _action_forms(request, case)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    errors = []
    if action:
        form = forms.get(action)
        if form is None:
            raise PermissionDenied(_("无权执行此操作"))
        try:
            if form.is_valid():
                messages.success(request, _act(request, case, action, form))
                return redirect("review:downgrade", pk=case.pk)
            errors.append(_("请检查填写内容"))
        except (ValidationError, PermissionDenied) as exc:
            errors.append(error_text(exc))
    return render(
        request,
        "review/downgrade.html",
        {
            "case": case,
            "forms": forms,
            "errors": errors,
            "error_action": action,
            "panel_problems": downgrades.downgrade_panel_problems(case)
            if hasattr(case, "panel")
            else [],
            "can_rerender": allows(user, "review.rerender_case_form", case),
            "events": event_list_for(case)[:100],
        },
    )


@login_required
@require_POST
def case_form_rerender(request, opinion_pk: int):
    opinion = selectors.case_opinion_visible(viewer=request.user, pk=opinion_pk)
    try:
        case_form_rerequest(actor=request.user, opinion=opinion)
        messages.success(
            request,
            _("已重新生成%(title)s（新版本，原文件保留）") % {"title": case_form_title(opinion)},
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    if opinion.appeal_id:
        return redirect(reverse("review:appeal", args=[opinion.appeal_id]) + "#opinions")
    return redirect(reverse("review:downgrade", args=[opinion.downgrade_case_id]) + "#opinions")


@login_required
def case_form_download(request, form_pk: int):
    form = selectors.case_form_get(viewer=request.user, pk=form_pk)
    title = case_form_title(form.opinion)
    if form.status != CaseOpinionForm.Status.READY or not form.file:
        return HttpResponse(
            _("%(title)s尚未生成完成") % {"title": title},
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    return file_download(
        request,
        target=form,
        kind="case_form",
        file=form.file.open("rb"),
        content_type="application/pdf",
        filename=f"{title}-{form.opinion.subject.number}-{form.revision}.pdf",
        sha256=form.sha256,
    )


@login_required
@require_http_methods(["POST"])
def change_report_re_review(request, pk: int):
    """R-ELIG-5: the county opens a re-review of a change report from the report's page."""
    report = change_report_get(viewer=request.user, pk=pk)
    form = ChangeHandleForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(form))
        return redirect("declarations:change", pk=report.pk)
    try:
        case = change_reports.change_report_re_review(
            actor=request.user, report=report, note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("declarations:change", pk=report.pk)
    messages.success(request, _("已启动复核：%s") % case.number)
    return redirect("review:downgrade", pk=case.pk)
