"""Grading outside the declaration flow: the county's direct C/D grading of small-micro
enterprises and the list of last year's A and B due to re-apply (R-REV-11)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors, error_text
from review import forms as rforms
from review.rules import allows, require
from review.selectors.annual import (
    directly_gradable,
    reapplication_decision_list,
    reapplication_list,
    reapplication_overdue_get,
    reminders_sent,
)
from review.services import annual


@login_required
@require_http_methods(["GET", "POST"])
def direct_grade(request):
    user = request.user
    require(user, "review.grade_directly")
    form = rforms.DirectGradeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enterprise = directly_gradable(viewer=user, uscc=data["enterprise_uscc"])
        if enterprise is None:
            form.add_error("enterprise_uscc", _("本辖区内未找到该企业"))
        else:
            try:
                annual.county_direct_grade(
                    actor=user,
                    enterprise=enterprise,
                    industry=data["industry"],
                    grade=data["grade"],
                    reason=data["reason"],
                )
                messages.success(request, _("已评定"))
                return redirect("enterprise-detail", pk=enterprise.pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
    return render(request, "review/direct.html", {"form": form})


@login_required
def reapply(request):
    """R-REV-11: those due to re-apply with their batch's deadline and the reminders sent; the
    overdue ones with the county's decision form; the decisions signed this year."""
    user = request.user
    year = rforms.YearForm(request.GET).year_or(timezone.localdate().year)
    today = timezone.localdate()
    rows = reapplication_list(viewer=user, year=year)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    sent = reminders_sent(rows=page.object_list, year=year)
    for row in page.object_list:
        row.reminders = sent.get((row.enterprise_id, row.industry_id), [])
        row.overdue = row.deadline is not None and row.deadline < today
        row.can_decide = row.overdue and allows(user, "review.decide_reapplication", row.enterprise)
    return render(
        request,
        "review/reapply.html",
        {
            "page": page,
            "year": year,
            "decisions": reapplication_decision_list(viewer=user, year=year)[:200],
            "outcomes": rforms.ReapplicationDecideForm.base_fields["outcome"].choices,
        },
    )


@login_required
@require_http_methods(["POST"])
def reapply_decide(request):
    user = request.user
    form = rforms.ReapplicationDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(form))
        return redirect("review:reapply")
    data = form.cleaned_data
    row = reapplication_overdue_get(
        viewer=user,
        year=data["year"],
        today=timezone.localdate(),
        enterprise_pk=data["enterprise"],
        industry_code=data["industry"],
    )
    if row is None:
        raise Http404
    try:
        annual.reapplication_decide(
            actor=user,
            enterprise=row.enterprise,
            industry=row.industry,
            year=data["year"],
            outcome=data["outcome"],
            reason=data["reason"],
        )
        messages.success(request, _("已签署决定"))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect(f"{reverse('review:reapply')}?year={data['year']}")
