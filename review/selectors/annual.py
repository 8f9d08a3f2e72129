"""Grading outside the declaration flow: last year's A and B due to re-apply (R-REV-11), with
the deadline of their industry's batch, and the enterprises a county grades directly."""

from datetime import date

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from declarations.models import Batch, Declaration
from grading.jurisdiction import county_unit_ids_for, county_units_for
from grading.models import Enterprise, EnterpriseIndustry, GradeRecord, User
from grading.validators import normalize_uscc
from review.models import ReapplicationDecision, ReapplicationReminder
from review.rules import require

REAPPLY_GRADES = ("A", "B", "B-", "LEAD")


def reapplication_due(*, year: int) -> QuerySet[EnterpriseIndustry]:
    """R-REV-11: industries graded A, B, B- or 引领性 before this year that have not declared
    again this year and on which the county has not yet decided; they re-apply under the
    indicators in force now. ``deadline`` is the deadline of the year's batch of the
    industry's category (None when the year has no such batch)."""
    declared = Declaration.objects.filter(
        enterprise=OuterRef("enterprise"), industry=OuterRef("industry"), year=year
    ).exclude(status=Declaration.Status.REJECTED)
    graded_before = GradeRecord.objects.filter(
        enterprise=OuterRef("enterprise"),
        industry=OuterRef("industry"),
        effective_from__lt=date(year, 1, 1),
        effective_to__isnull=True,
    )
    decided = ReapplicationDecision.objects.filter(
        enterprise=OuterRef("enterprise"), industry=OuterRef("industry"), year=year
    )
    deadline = (
        Batch.objects.filter(year=year, categories=OuterRef("industry__category"))
        .order_by("deadline")
        .values("deadline")[:1]
    )
    return (
        EnterpriseIndustry.objects.filter(current_grade__code__in=REAPPLY_GRADES)
        .filter(Exists(graded_before))
        .exclude(Exists(declared))
        .exclude(Exists(decided))
        .annotate(deadline=Subquery(deadline))
        .select_related("enterprise__county", "industry", "current_grade")
        .order_by("enterprise__county__code", "enterprise__name")
    )


def reapplication_list(*, viewer: User, year: int) -> QuerySet[EnterpriseIndustry]:
    """Those due in the viewer's jurisdiction (``review.view_reapplications``)."""
    require(viewer, "review.view_reapplications")
    ids = county_unit_ids_for(viewer)  # None: every unit
    due = reapplication_due(year=year)
    if ids is None:
        return due
    # A county's enterprises as a list of ids the planner starts from (8 ms for a county of
    # 637 at 100,000 enterprises); through the counties it walked every grade record of the
    # province first (190 ms). A larger jurisdiction keeps the join.
    mine = Enterprise.objects.filter(county_id__in=ids).values_list("pk", flat=True)
    if len(ids) == 1:
        return due.filter(enterprise_id__in=list(mine))
    return due.filter(enterprise__county_id__in=ids)


def reapplication_overdue(*, viewer: User, year: int, today: date) -> QuerySet:
    """R-REV-11: those of the viewer's jurisdiction whose batch deadline has passed without a
    declaration: the county decides whether they keep or lose the grade."""
    # the categories whose first batch of the year has closed, as ids: a comparison with the
    # annotated deadline left the planner guessing and walking every grade record
    closed = Batch.objects.filter(year=year, deadline__lt=today).values_list(
        "categories", flat=True
    )
    return reapplication_list(viewer=viewer, year=year).filter(
        industry__category_id__in=[pk for pk in closed if pk is not None]
    )


def reapplication_overdue_get(
    *, viewer: User, year: int, today: date, enterprise_pk, industry_code: str
) -> EnterpriseIndustry | None:
    return (
        reapplication_overdue(viewer=viewer, year=year, today=today)
        .filter(enterprise_id=enterprise_pk, industry__code=industry_code)
        .first()
    )


def reminders_sent(*, rows, year: int) -> dict[tuple[int, int], list[ReapplicationReminder]]:
    """The reminders sent for the given rows this year, by (enterprise, industry)."""
    out: dict[tuple[int, int], list[ReapplicationReminder]] = {}
    sent = ReapplicationReminder.objects.filter(
        year=year, enterprise__in=[r.enterprise_id for r in rows]
    ).order_by("sent_at")
    for reminder in sent:
        out.setdefault((reminder.enterprise_id, reminder.industry_id), []).append(reminder)
    return out


def reapplication_decision_list(*, viewer: User, year: int) -> QuerySet[ReapplicationDecision]:
    require(viewer, "review.view_reapplications")
    return (
        ReapplicationDecision.objects.filter(
            year=year, enterprise__county__in=county_units_for(viewer)
        )
        .select_related(
            "enterprise__county", "industry", "grade_before", "grade_after", "signed_by"
        )
        .order_by("-signed_at", "-id")
    )


def directly_gradable(*, viewer: User, uscc: str) -> Enterprise | None:
    """The enterprise of a 统一社会信用代码 in the viewer's jurisdiction, if any."""
    return Enterprise.objects.filter(
        uscc=normalize_uscc(uscc), county__in=county_units_for(viewer)
    ).first()
