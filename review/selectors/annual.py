"""Grading outside the declaration flow: last year's A and B due to re-apply (R-REV-11) and
the enterprises a county grades directly."""

from datetime import date

from django.db.models import Exists, OuterRef, QuerySet

from declarations.models import Declaration
from grading.jurisdiction import county_units_for
from grading.models import Enterprise, EnterpriseIndustry, GradeRecord, User
from grading.validators import normalize_uscc
from review.rules import require

REAPPLY_GRADES = ("A", "B", "B-", "LEAD")


def reapplication_due(*, year: int) -> QuerySet[EnterpriseIndustry]:
    """R-REV-11: industries graded A, B, B- or 引领性 before this year that have not declared
    again this year; they re-apply under the indicators in force now."""
    declared = Declaration.objects.filter(
        enterprise=OuterRef("enterprise"), industry=OuterRef("industry"), year=year
    ).exclude(status=Declaration.Status.REJECTED)
    graded_before = GradeRecord.objects.filter(
        enterprise=OuterRef("enterprise"),
        industry=OuterRef("industry"),
        effective_from__lt=date(year, 1, 1),
        effective_to__isnull=True,
    )
    return (
        EnterpriseIndustry.objects.filter(current_grade__code__in=REAPPLY_GRADES)
        .filter(Exists(graded_before))
        .exclude(Exists(declared))
        .select_related("enterprise__county", "industry", "current_grade")
        .order_by("enterprise__county__code", "enterprise__name")
    )


def reapplication_list(*, viewer: User, year: int) -> QuerySet[EnterpriseIndustry]:
    """Those due in the viewer's jurisdiction (``review.view_reapplications``)."""
    require(viewer, "review.view_reapplications")
    return reapplication_due(year=year).filter(enterprise__county__in=county_units_for(viewer))


def directly_gradable(*, viewer: User, uscc: str) -> Enterprise | None:
    """The enterprise of a 统一社会信用代码 in the viewer's jurisdiction, if any."""
    return Enterprise.objects.filter(
        uscc=normalize_uscc(uscc), county__in=county_units_for(viewer)
    ).first()
