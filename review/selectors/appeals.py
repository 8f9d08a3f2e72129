"""Appeals (R-REV-10), scoped to who asks: bureau staff see those of their jurisdiction (the
county whose decision is appealed, the city that re-reviews, the province), an expert those of
its panels, an enterprise its own; anything else is a 404, the same as a missing appeal."""

from django.db.models import Prefetch, Q, QuerySet

from grading.jurisdiction import scope_to_viewer
from grading.models import User
from grading.rules import is_city_staff, is_expert
from review.models import Appeal, AppealFile, CaseOpinion
from review.selectors import get_or_404
from review.selectors.downgrades import OPINIONS, PANELS

RECORD = [
    Prefetch("files", queryset=AppealFile.objects.order_by("id")),
    Prefetch("opinions", queryset=OPINIONS),
    Prefetch("panel", queryset=PANELS),
]


def appeal_list(*, viewer: User, stage: str = "", record: bool = False) -> QuerySet[Appeal]:
    qs = Appeal.objects.all()
    if is_expert(viewer):
        qs = qs.filter(panel__memberships__expert=viewer)
    else:
        qs = scope_to_viewer(qs, viewer, enterprise_path="enterprise")
    if stage:
        qs = qs.filter(stage=stage)
    qs = qs.select_related(
        "enterprise__county__parent",
        "industry",
        "grade_contested",
        "grade_earlier",
        "grade",
        "downgrade_case",
        "filed_by",
    ).order_by("-filed_at", "-id")
    return qs.prefetch_related(*RECORD) if record else qs


def appeal_get(*, viewer: User, pk, record: bool = False) -> Appeal:
    return get_or_404(appeal_list(viewer=viewer, record=record), pk)


def appeal_queue(*, viewer: User) -> QuerySet[Appeal]:
    """Appeals waiting for the city (or its panel)."""
    if not (is_city_staff(viewer) or is_expert(viewer)):
        return Appeal.objects.none()
    return appeal_list(viewer=viewer, stage=Appeal.Stage.FILED)


def appeal_opinion_get(*, appeal: Appeal, pk) -> CaseOpinion:
    return get_or_404(OPINIONS.filter(appeal=appeal), pk)


def appeal_file_get(*, viewer: User, pk) -> AppealFile:
    visible = appeal_list(viewer=viewer).values("pk")
    return get_or_404(AppealFile.objects.filter(appeal__in=visible), pk)


def appeal_signers(*, appeal: Appeal, panel: bool) -> QuerySet[User]:
    """The panel and the city's staff (panel opinion), or the city's staff (decision)."""
    city = appeal.enterprise.county.city
    staff = Q(role=User.Role.CITY, region=city)
    if panel and getattr(appeal, "panel", None) is not None:
        staff |= Q(pk__in=appeal.panel.memberships.values("expert"))
    return User.objects.filter(staff, is_active=True).select_related("expert_profile")
