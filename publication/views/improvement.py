"""The improvement list (R-TGT-2): the county's entries, and the lists of a city or the
province read from them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors
from grading.jurisdiction import scope_to_viewer
from grading.models import Enterprise
from publication.forms import ImprovementForm
from publication.rules import allows, refusal
from publication.selectors.improvement import improvement_list
from publication.services.improvement import improvement_add


@login_required
@require_http_methods(["GET", "POST"])
def improvement(request):
    user = request.user
    if not allows(user, "publication.view_positive_list"):
        raise PermissionDenied(refusal(user, "publication.view_positive_list"))
    year = timezone.localdate().year
    can_add = allows(user, "publication.edit_improvement")
    form = ImprovementForm(request.POST or None) if can_add else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(refusal(user, "publication.edit_improvement"))
        if form.is_valid():
            data = form.cleaned_data
            enterprise = (
                scope_to_viewer(Enterprise.objects.all(), user)
                .filter(uscc=data["uscc"].strip().upper())
                .first()
            )
            try:
                if enterprise is None:
                    raise ValidationError({"uscc": _("本辖区没有该统一社会信用代码的企业")})
                improvement_add(
                    actor=user,
                    year=year,
                    enterprise=enterprise,
                    industry=data["industry"],
                    target_grade=data["target_grade"],
                    indicator=data["indicator"],
                    problem=data["problem"],
                    measures=data["measures"],
                    due_on=data["due_on"],
                    note=data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已列入绩效提升企业清单"))
                return redirect("publication:improvement")
    page = Paginator(improvement_list(viewer=user, year=year), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "publication/improvement.html",
        {"page": page, "form": form, "year": year},
    )
