"""The enterprise's own results: its decided grades and their history, its decided
declarations, and what the stages above add through the ``enterprise_results`` hook (the
approval forms of the review chain, the emergency list's entry, measures and signboard)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.hooks import collect
from declarations.models import Declaration
from declarations.selectors import declaration_list
from grading.models import User
from grading.rules import allows


@login_required
def enterprise_results(request):
    user: User = request.user
    if not allows(user, "grading.view_own_enterprise"):
        raise PermissionDenied(_("只有企业账户有“我的分级结果”"))
    enterprise = user.enterprise
    decided = (
        declaration_list(viewer=user)
        .filter(status=Declaration.Status.DECIDED)
        .select_related("industry", "requested_grade")
        .order_by("-year", "industry__seq")
    )
    return render(
        request,
        "declarations/results.html",
        {
            "enterprise": enterprise,
            "industries": enterprise.industries.select_related("industry", "current_grade"),
            "records": enterprise.grade_records.select_related("industry", "grade")[:100],
            "decided": decided,
            "sections": collect("enterprise_results", user, enterprise),
        },
    )
