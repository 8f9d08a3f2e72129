"""Pages of appeals (R-REV-10): the enterprise's decisions it may still appeal and its filing
form; an appeal's page with every step, the files, the city's panel, the signed opinions and
forms, and the actions of whoever views it; file downloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.audit import event_list_for
from core.downloads import file_download
from core.forms import add_service_errors, error_text
from grading.models import Grade
from review import forms as rforms
from review.models import Appeal
from review.rules import allows, require
from review.selectors.appeals import appeal_file_get, appeal_get, appeal_list, appeal_signers
from review.selectors.experts import expert_suggestions_for
from review.services import appeals
from review.services.downgrades import grade_ladder

Stage = Appeal.Stage


def _own_enterprise(user):
    return user.enterprise if allows(user, "review.file_appeal", user.enterprise) else None


@login_required
def appeal_list_page(request):
    user = request.user
    require(user, "review.view_appeals")
    enterprise = _own_enterprise(user)
    page = Paginator(appeal_list(viewer=user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "review/appeals.html",
        {
            "page": page,
            "appealable": appeals.appealable_decisions(enterprise=enterprise) if enterprise else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal_new(request):
    """The enterprise files an appeal of one of its appealable decisions."""
    user = request.user
    enterprise = _own_enterprise(user)
    if enterprise is None:
        raise PermissionDenied(_("只有企业本身可以申请复核"))
    source = request.POST if request.method == "POST" else request.GET
    choices = appeals.appealable_decisions(enterprise=enterprise)
    target = next(
        (
            a
            for a in choices
            if (a.downgrade_case and str(a.downgrade_case.pk) == source.get("downgrade"))
            or (a.grade_record and str(a.grade_record.pk) == source.get("record"))
        ),
        None,
    )
    if target is None:
        raise Http404
    form = rforms.AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeal = appeals.appeal_file(
                actor=user,
                enterprise=enterprise,
                reasons=form.cleaned_data["reasons"],
                files=request.FILES.getlist("files"),
                downgrade_case=target.downgrade_case,
                grade_record=target.grade_record,
            )
            messages.success(request, _("复核申请已提交：%s") % appeal.number)
            return redirect("review:appeal", pk=appeal.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(request, "review/appeal_new.html", {"form": form, "target": target})


def _outcome_form(request, appeal, action: str, *, panel: bool):
    grades = grade_ladder(appeal.industry, appeal.filed_at.date())
    return rforms.OutcomeForm(
        request.POST if request.POST.get("action") == action else None,
        prefix=action[0],
        outcomes=Appeal.Outcome.choices,
        grades=Grade.objects.filter(pk__in=[g.pk for g in grades]).order_by("severity"),
        actor=request.user,
        signer_queryset=appeal_signers(appeal=appeal, panel=panel),
    )


def _forms(request, appeal: Appeal) -> dict:
    user = request.user
    forms = {"panel": None, "review": None, "decide": None, "withdraw": None}
    if appeal.stage != Stage.FILED:
        return forms
    reviewed = any(o.kind == "second_review" for o in appeal.opinions.all())
    if allows(user, "review.assign_appeal_panel", appeal) and not reviewed:
        experts = expert_suggestions_for(enterprise=appeal.enterprise, industry=appeal.industry)
        first = list(experts.values_list("pk", flat=True)[:30])
        forms["panel"] = rforms.PanelForm(
            request.POST if request.POST.get("action") == "panel" else None,
            prefix="p",
            experts=experts.filter(pk__in=first),
        )
    has_panel = hasattr(appeal, "panel")
    if has_panel and not reviewed and allows(user, "review.sign_appeal_review", appeal):
        forms["review"] = _outcome_form(request, appeal, "review", panel=True)
    if allows(user, "review.decide_appeal", appeal):
        forms["decide"] = _outcome_form(request, appeal, "decide", panel=False)
    if allows(user, "review.withdraw_appeal", appeal):
        forms["withdraw"] = rforms.WithdrawForm(
            request.POST if request.POST.get("action") == "withdraw" else None
        )
    return forms


def _act(request, appeal, action: str, form) -> str:
    user, data = request.user, form.cleaned_data
    if action == "panel":
        appeals.appeal_panel_assign(
            actor=user, appeal=appeal, experts=list(data["experts"]), leader=data["leader"]
        )
        return _("专家组已组建")
    if action == "withdraw":
        appeals.appeal_withdraw(actor=user, appeal=appeal, reason=data["reason"])
        return _("已撤回复核申请")
    service = appeals.appeal_review_sign if action == "review" else appeals.appeal_decide
    service(
        actor=user,
        appeal=appeal,
        outcome=data["outcome"],
        grade=data["grade"],
        summary=data["summary"],
        conclusion=data["conclusion"],
        signers=list(data["signers"]),
    )
    return _("意见已签署")


@login_required
@require_http_methods(["GET", "POST"])
def appeal_detail(request, pk: int):
    user = request.user
    appeal = appeal_get(viewer=user, pk=pk, record=True)
    forms = _forms(request, appeal)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    errors = []
    if action:
        form = forms.get(action)
        if form is None:
            raise PermissionDenied(_("无权执行此操作"))
        try:
            if form.is_valid():
                messages.success(request, _act(request, appeal, action, form))
                return redirect("review:appeal", pk=appeal.pk)
            errors.append(error_text(form))
        except (ValidationError, PermissionDenied) as exc:
            errors.append(error_text(exc))
    return render(
        request,
        "review/appeal.html",
        {
            "appeal": appeal,
            "forms": forms,
            "errors": errors,
            "error_action": action,
            "panel_problems": appeals.appeal_panel_problems(appeal)
            if hasattr(appeal, "panel")
            else [],
            "can_rerender": allows(user, "review.rerender_case_form", appeal),
            "steps": event_list_for(appeal).order_by("at", "id"),
        },
    )


@login_required
def appeal_file_download(request, pk: int):
    row = appeal_file_get(viewer=request.user, pk=pk)
    return file_download(
        request,
        target=row,
        kind="appeal_file",
        file=row.file.open("rb"),
        content_type=row.content_type,
        filename=row.name,
    )
