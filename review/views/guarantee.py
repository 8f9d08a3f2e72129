"""Pages of the guarantee-class chain (R-GUAR-3): the departments' joint review on a
guarantee case's page; the guarantee list per city with removal (reason and date), the
report to the province and the reports sent."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import error_text
from declarations.selectors import declaration_get
from declarations.services.guarantee import guarantee_remove
from review import forms as rforms
from review.models import GuaranteeCoReview
from review.rules import allows
from review.selectors import cases as case_selectors
from review.selectors.guarantee import (
    guarantee_cities,
    guarantee_list,
    guarantee_removed_list,
    guarantee_reports,
)
from review.services import guarantee


def co_review_context(user, case) -> dict | None:
    """The joint-review section of a guarantee case's page (None for other cases)."""
    if not guarantee.is_guarantee_case(case):
        return None
    rows = list(case.guarantee_co_reviews.select_related("recorded_by"))
    can_record = (
        case.stage == "city"
        and len(rows) < len(GuaranteeCoReview.Department.values)
        and allows(user, "review.record_guarantee_co_review", case)
    )
    return {
        "rows": rows,
        "problems": guarantee.co_review_problems(case) if case.stage == "city" else [],
        "form": rforms.GuaranteeCoReviewForm() if can_record else None,
        "due": guarantee.guarantee_county_due(case.declaration.year),
    }


@login_required
@require_POST
def co_review_record(request, pk: int):
    case = case_selectors.case_get(viewer=request.user, pk=pk)
    form = rforms.GuaranteeCoReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(form))
    else:
        try:
            guarantee.guarantee_co_review_record(actor=request.user, case=case, **form.cleaned_data)
            messages.success(request, _("部门会审意见已登记"))
        except ValidationError as exc:
            messages.error(request, error_text(exc))
    return redirect(reverse("review:case", args=[case.pk]) + "#guarantee")


def _city_and_year(request, cities):
    city_code = request.GET.get("city") or request.POST.get("city") or ""
    city = cities.filter(code=city_code).first() if city_code else cities.first()
    if city_code and city is None:
        raise Http404
    year = rforms.YearForm(request.GET).year_or(timezone.localdate().year)
    if request.method == "POST":
        year = rforms.YearForm(request.POST).year_or(year)
    return city, year


@login_required
@require_http_methods(["GET", "POST"])
def guarantee_list_page(request):
    user = request.user
    cities = guarantee_cities(viewer=user)
    city, year = _city_and_year(request, cities)
    if request.method == "POST" and city is not None:
        action = request.POST.get("action")
        try:
            if action == "remove":
                form = rforms.GuaranteeRemoveForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(error_text(form))
                declaration = declaration_get(viewer=user, pk=form.cleaned_data["declaration"])
                guarantee_remove(
                    actor=user,
                    declaration=declaration,
                    reason=form.cleaned_data["reason"],
                    on=form.cleaned_data["on"],
                )
                messages.success(request, _("已移出保障类清单"))
            elif action == "report":
                form = rforms.GuaranteeReportForm(request.POST)
                form.is_valid()
                guarantee.guarantee_report_submit(
                    actor=user, city=city, year=year, note=form.cleaned_data.get("note", "")
                )
                messages.success(request, _("已报送省级"))
            else:
                raise Http404
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        return redirect(f"{reverse('review:guarantee')}?city={city.code}&year={year}")
    rows = list(guarantee_list(viewer=user, city=city, year=year)) if city else []
    for d in rows:
        d.can_remove = allows(user, "declarations.remove_guarantee", d)
    return render(
        request,
        "review/guarantee.html",
        {
            "cities": cities,
            "city": city,
            "year": year,
            "rows": rows,
            "removed": guarantee_removed_list(viewer=user, city=city, year=year) if city else [],
            "reports": guarantee_reports(viewer=user, city=city, year=year) if city else [],
            "can_report": city is not None and allows(user, "review.report_guarantee_list", city),
            "due": guarantee.guarantee_county_due(year),
        },
    )
