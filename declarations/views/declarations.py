"""The declarations list, a new declaration, its overview, its form sections, submit and
withdraw."""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import event_list_for
from core.forms import add_service_errors, error_text
from core.hooks import collect
from declarations import forms as dforms
from declarations.models import Declaration
from declarations.selectors import declaration_get, declaration_list
from declarations.services import carryover, drafting, lifecycle
from declarations.services.checks import declaration_check
from declarations.texts import reduction_commitment, truth_commitment
from declarations.views.steps import STEPS, refuse_unless_preparer, step_context
from grading.models import User
from grading.rules import allows


def _require(user: User, perm: str, message: str = "") -> None:
    if not allows(user, perm):
        raise PermissionDenied(message)


@login_required
def declaration_index(request):
    user: User = request.user
    _require(user, "declarations.view_declarations", _("只有企业和生态环境部门账户可以查阅申报"))
    form = dforms.DeclarationFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(declaration_list(viewer=user, status=status), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "declarations/list.html",
        {
            "page": page,
            "statuses": Declaration.Status.choices,
            "can_create": allows(user, "declarations.add_declaration"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def declaration_new(request):
    user: User = request.user
    _require(user, "declarations.add_declaration", _("只有企业账户可以新建申报"))
    form = dforms.DeclarationCreateForm(
        request.POST or None,
        enterprise=user.enterprise,
        initial={"copy_from": request.GET.get("copy_from")},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        source, with_evidence = data.pop("copy_from"), data.pop("with_evidence")
        try:
            if source is not None:
                data.pop("industry")
                declaration = carryover.declaration_copy(
                    actor=user, source=source, with_evidence=with_evidence, **data
                )
            else:
                declaration = drafting.declaration_create(
                    actor=user, enterprise=user.enterprise, **data
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("申报已创建，请逐项填写"))
            return redirect("declarations:detail", pk=declaration.pk)
    return render(request, "declarations/new.html", {"form": form})


@login_required
@require_POST
def declaration_delete(request, pk: int):
    """Delete a draft never submitted: an explicit act, confirmed on the page."""
    user: User = request.user
    declaration = declaration_get(viewer=user, pk=pk)
    if not request.POST.get("confirm"):
        messages.error(request, _("请勾选确认后再删除草稿"))
        return redirect("declarations:detail", pk=pk)
    try:
        carryover.declaration_draft_delete(
            actor=user, declaration=declaration, reason=request.POST.get("reason", "")[:300]
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect("declarations:detail", pk=pk)
    messages.success(request, _("草稿已删除"))
    return redirect("declarations:index")


@login_required
def declaration_detail(request, pk: int):
    user: User = request.user
    declaration = declaration_get(viewer=user, pk=pk)
    issues = (
        declaration_check(declaration, on=timezone.localdate()) if declaration.is_editable else []
    )
    by_section = defaultdict(list)
    for issue in issues:
        by_section[issue.section].append(issue)
    steps = [
        {
            "key": key,
            "label": label,
            "issues": by_section.get(key, [])
            + (by_section.get("rectification", []) if key == "indicators" else []),
        }
        for key, label in STEPS
    ]
    return render(
        request,
        "declarations/detail.html",
        {
            "declaration": declaration,
            "steps": steps,
            "eligibility": by_section.get("eligibility", []),
            "issues": issues,
            "versions": declaration.versions.all(),
            "events": event_list_for(declaration)[:100],
            "can_change": allows(user, "declarations.change_declaration", declaration),
            "can_withdraw": allows(user, "declarations.withdraw_declaration", declaration),
            "can_delete": allows(user, "declarations.delete_draft", declaration),
            "can_copy": allows(user, "declarations.copy_declaration", declaration),
            "actions": collect("declaration_actions", user, declaration),
            "review_cases": declaration.review_cases.select_related(
                "version", "final_grade"
            ).order_by("-opened_at"),
        },
    )


def _commitments_form(request, declaration: Declaration):
    today = timezone.localdate()
    legal = declaration.enterprise.legal_representative
    form = dforms.CommitmentsForm(
        request.POST or None,
        initial={
            "truth_commitment_by": declaration.truth_commitment_by or legal,
            "truth_commitment_on": declaration.truth_commitment_on or today,
            "reduction_commitment_by": declaration.reduction_commitment_by or legal,
            "reduction_commitment_on": declaration.reduction_commitment_on or today,
            "truth_confirm": bool(declaration.truth_commitment_by),
            "reduction_confirm": bool(declaration.reduction_commitment_by),
        },
    )
    city = declaration.enterprise.county.city
    texts = {
        "truth_text": truth_commitment(
            city=city.name if city else "",
            year=declaration.year,
            industry=declaration.industry.name,
            grade=declaration.requested_grade.name,
        ),
        "reduction_text": reduction_commitment(
            industry=declaration.industry.name, grade=declaration.requested_grade.name
        ),
    }
    return form, texts


@login_required
@require_http_methods(["GET", "POST"])
def declaration_section(request, pk: int, step: str):
    """The application form, the commitments and the basic information."""
    declaration = declaration_get(viewer=request.user, pk=pk)
    if refused := refuse_unless_preparer(request, declaration):
        return refused
    extra = {}
    if step == "commitments":
        form, extra = _commitments_form(request, declaration)
    elif step == "application":
        form = dforms.ApplicationForm(request.POST or None, instance=declaration)
    elif step == "basic":
        form = dforms.BasicForm(request.POST or None, instance=declaration)
    else:
        raise Http404
    if request.method == "POST" and form.is_valid():
        try:
            drafting.declaration_update(
                actor=request.user, declaration=declaration, data=form.data_for_service()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("declarations:detail", pk=declaration.pk)
    return render(
        request, "declarations/section.html", step_context(declaration, step, form=form, **extra)
    )


@login_required
@require_http_methods(["GET", "POST"])
def declaration_submit(request, pk: int):
    declaration = declaration_get(viewer=request.user, pk=pk)
    if refused := refuse_unless_preparer(request, declaration):
        return refused
    form = dforms.SubmitForm(
        request.POST or None, initial={"rectification": declaration.rectification}
    )
    issues = []
    if request.method == "POST" and form.is_valid():
        try:
            version = lifecycle.declaration_submit(
                actor=request.user,
                declaration=declaration,
                rectification=form.cleaned_data["rectification"],
            )
        except lifecycle.SubmissionRefused as exc:
            issues = exc.issues
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("申报已提交（第%d版），已送县级生态环境部门初审") % version.number
            )
            return redirect("declarations:version", pk=pk, number=version.number)
    else:
        issues = declaration_check(declaration, on=timezone.localdate())
    return render(
        request,
        "declarations/submit.html",
        step_context(
            declaration,
            "submit",
            form=form,
            issues=issues,
            returned=declaration.status == Declaration.Status.RETURNED,
        ),
    )


@login_required
@require_POST
def declaration_withdraw(request, pk: int):
    declaration = declaration_get(viewer=request.user, pk=pk)
    form = dforms.ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(error_text(form))
        lifecycle.declaration_withdraw(
            actor=request.user, declaration=declaration, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("申报已撤回，可继续修改后重新提交"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    return redirect("declarations:detail", pk=pk)
