"""Grading outside the declaration flow: the county's direct C/D grading of small-micro
enterprises and the list of last year's A and B due to re-apply (R-REV-11)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors
from review import forms as rforms
from review.rules import require
from review.selectors.annual import directly_gradable, reapplication_list
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
    year = rforms.YearForm(request.GET).year_or(timezone.localdate().year)
    rows = reapplication_list(viewer=request.user, year=year)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "review/reapply.html", {"page": page, "year": year})
