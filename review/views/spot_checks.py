"""Spot checks of the province and the cities (R-REV-9): the plan of a draw shown before it is
confirmed, samples with their on-site results and each industry's pass rate, the industry
downgrade proposals, and the province's thresholds."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import add_service_errors, error_text
from review import forms as rforms
from review.rules import allows, require
from review.selectors.spot_checks import (
    proposal_get,
    proposal_list,
    sample_get,
    sample_item_get,
    sample_list,
)
from review.services import sampling


def _draw_post(request, form):
    """Plan (show the strata and the size) or confirm the draw; a redirect, the plan, or
    None when the form shows why not."""
    user = request.user
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        if request.POST.get("action") == "draw":
            sample = sampling.sample_draw(
                actor=user, year=data["year"], percentage=data["percentage"], seed=data["seed"]
            )
            messages.success(request, _("已抽取样本"))
            return redirect("review:sample", pk=sample.pk)
        return sampling.sample_plan(actor=user, percentage=data["percentage"])
    except ValidationError as exc:
        add_service_errors(form, exc)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def spot_checks(request):
    user = request.user
    samples = sample_list(viewer=user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = rforms.SampleForm(
        request.POST if action in ("plan", "draw") else None,
        initial={"year": timezone.localdate().year, "percentage": 10},
    )
    policy = sampling.spot_check_policy()
    can_set_policy = allows(user, "review.set_spot_check_policy")
    policy_form = rforms.SpotCheckPolicyForm(
        request.POST if action == "policy" else None,
        initial={"min_per_industry": policy.min_per_industry, "min_decided": policy.min_decided},
    )
    plan = None
    if action == "policy":
        require(user, "review.set_spot_check_policy")
        if policy_form.is_valid():
            try:
                sampling.spot_check_policy_set(actor=user, **policy_form.cleaned_data)
                messages.success(request, _("抽查规则已保存"))
                return redirect("review:spot-checks")
            except ValidationError as exc:
                add_service_errors(policy_form, exc)
    elif action in ("plan", "draw"):
        outcome = _draw_post(request, form)
        if outcome is not None and not hasattr(outcome, "strata"):
            return outcome
        plan = outcome
    return render(
        request,
        "review/spot_checks.html",
        {
            "form": form,
            "plan": plan,
            "region": sampling.sampling_region(user),
            "policy": policy,
            "policy_form": policy_form if can_set_policy else None,
            "samples": samples[:50],
            "proposals": proposal_list(viewer=user)[:50],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def sample_detail(request, pk: int):
    user = request.user
    sample = sample_get(viewer=user, pk=pk, items=True)
    can_check = allows(user, "review.check_sample", sample)
    if request.method == "POST":
        item = sample_item_get(sample=sample, pk=request.POST.get("item"))
        form = rforms.SpotCheckResultForm(
            request.POST, prefix=f"i{item.pk}", grades=sampling.downgrade_choices(item)
        )
        if form.is_valid():
            try:
                sampling.spot_check_record(actor=user, item=item, **form.cleaned_data)
                messages.success(request, _("抽查结果已记录"))
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, error_text(exc))
        else:
            messages.error(request, error_text(form))
        return redirect(reverse("review:sample", args=[pk]) + f"#item-{item.pk}")
    ladders: dict = {}
    items = [
        (
            i,
            rforms.SpotCheckResultForm(
                prefix=f"i{i.pk}", grades=sampling.downgrade_choices(i, ladders)
            )
            if can_check and i.result == i.Result.PENDING
            else None,
        )
        for i in sample.items.all()
    ]
    return render(
        request,
        "review/sample.html",
        {"sample": sample, "items": items, "pass_rates": sampling.pass_rates(sample=sample)},
    )


@login_required
@require_POST
def proposal_decide(request, pk: int):
    proposal = proposal_get(viewer=request.user, pk=pk)
    form = rforms.ProposalDecideForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(error_text(form))
        sampling.industry_downgrade_decide(
            actor=request.user, proposal=proposal, **form.cleaned_data
        )
        messages.success(request, _("已处理行业降级建议"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    return redirect("review:spot-checks")
