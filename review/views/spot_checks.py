"""The province's spot checks (R-REV-9): samples, their on-site results and the industry
downgrade proposals."""

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
from review.selectors.spot_checks import (
    proposal_get,
    proposal_list,
    sample_get,
    sample_item_get,
    sample_list,
)
from review.services import sampling


@login_required
@require_http_methods(["GET", "POST"])
def spot_checks(request):
    user = request.user
    samples = sample_list(viewer=user)
    form = rforms.SampleForm(
        request.POST or None, initial={"year": timezone.localdate().year, "percentage": 10}
    )
    if request.method == "POST" and form.is_valid():
        try:
            sample = sampling.sample_draw(
                actor=user,
                year=form.cleaned_data["year"],
                percentage=form.cleaned_data["percentage"],
                seed=form.cleaned_data["seed"],
            )
            messages.success(request, _("已抽取样本"))
            return redirect("review:sample", pk=sample.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "review/spot_checks.html",
        {"form": form, "samples": samples[:50], "proposals": proposal_list(viewer=user)[:50]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def sample_detail(request, pk: int):
    user = request.user
    sample = sample_get(viewer=user, pk=pk, items=True)
    if request.method == "POST":
        item = sample_item_get(sample=sample, pk=request.POST.get("item"))
        form = rforms.SpotCheckResultForm(request.POST, prefix=f"i{item.pk}")
        if form.is_valid():
            try:
                sampling.spot_check_record(actor=user, item=item, **form.cleaned_data)
                messages.success(request, _("抽查结果已记录"))
            except ValidationError as exc:
                messages.error(request, error_text(exc))
        else:
            messages.error(request, _("请填写核查情况"))
        return redirect(reverse("review:sample", args=[pk]) + f"#item-{item.pk}")
    return render(
        request,
        "review/sample.html",
        {
            "sample": sample,
            "items": [
                (i, rforms.SpotCheckResultForm(prefix=f"i{i.pk}")) for i in sample.items.all()
            ],
        },
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
