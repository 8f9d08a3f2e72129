"""Downgrade cases (R-DYN-1), scoped to who asks: bureau staff see those of their jurisdiction,
an expert those whose second-review panel it sits on, an enterprise its own; anything else is
a 404, the same as a missing case."""

from django.db.models import Prefetch, Q, QuerySet

from grading.jurisdiction import scope_to_viewer
from grading.models import User
from grading.rules import is_city_staff, is_county_staff, is_expert
from review.models import (
    CaseOpinion,
    CaseOpinionForm,
    DowngradeCase,
    DowngradeTrigger,
    Panel,
    PanelMember,
)
from review.selectors import get_or_404

OPINIONS = (
    CaseOpinion.objects.select_related("grade", "signed_by")
    .prefetch_related(
        "signers", Prefetch("forms", queryset=CaseOpinionForm.objects.order_by("-revision"))
    )
    .order_by("signed_at", "id")
)
PANELS = Panel.objects.select_related("formed_by").prefetch_related(
    Prefetch(
        "memberships",
        queryset=PanelMember.objects.select_related("expert").order_by("-is_leader", "id"),
    )
)
RECORD = [
    Prefetch(
        "triggers",
        queryset=DowngradeTrigger.objects.select_related("violation", "recorded_by"),
    ),
    Prefetch("opinions", queryset=OPINIONS),
    Prefetch("panel", queryset=PANELS),
]


def downgrade_list(
    *, viewer: User, stage: str = "", record: bool = False
) -> QuerySet[DowngradeCase]:
    qs = DowngradeCase.objects.all()
    if is_expert(viewer):
        qs = qs.filter(panel__memberships__expert=viewer)
    else:
        qs = scope_to_viewer(qs, viewer, enterprise_path="enterprise")
    if stage:
        qs = qs.filter(stage=stage)
    qs = qs.select_related(
        "enterprise__county__parent", "industry", "grade", "grade_before", "opened_by"
    ).order_by("-opened_at", "-id")
    return qs.prefetch_related(*RECORD) if record else qs


def downgrade_get(*, viewer: User, pk, record: bool = False) -> DowngradeCase:
    return get_or_404(downgrade_list(viewer=viewer, record=record), pk)


def downgrade_queue(*, viewer: User) -> QuerySet[DowngradeCase]:
    """Open cases waiting for the viewer: the county's to decide, the city's (or the panel's)
    second reviews."""
    cases = downgrade_list(viewer=viewer).exclude(stage=DowngradeCase.Stage.DECIDED)
    if is_county_staff(viewer):
        return cases.filter(stage=DowngradeCase.Stage.COUNTY)
    if is_city_staff(viewer) or is_expert(viewer):
        return cases.filter(stage=DowngradeCase.Stage.SECOND_REVIEW)
    return cases.none()


def case_opinion_get(*, case: DowngradeCase, pk) -> CaseOpinion:
    return get_or_404(OPINIONS.filter(downgrade_case=case), pk)


def case_opinion_visible(*, viewer: User, pk) -> CaseOpinion:
    """A signed opinion of a downgrade case or an appeal the viewer may see; 404 otherwise."""
    from review.selectors.appeals import appeal_list  # appeals' reads build on these

    return get_or_404(
        OPINIONS.filter(
            Q(downgrade_case__in=downgrade_list(viewer=viewer).values("pk"))
            | Q(appeal__in=appeal_list(viewer=viewer).values("pk"))
        ),
        pk,
    )


def case_form_get(*, viewer: User, pk) -> CaseOpinionForm:
    """A form of a signed opinion of a downgrade case or an appeal the viewer may see."""
    from review.selectors.appeals import appeal_list  # appeals' reads build on these

    qs = CaseOpinionForm.objects.select_related(
        "opinion__downgrade_case", "opinion__appeal"
    ).filter(
        Q(opinion__downgrade_case__in=downgrade_list(viewer=viewer).values("pk"))
        | Q(opinion__appeal__in=appeal_list(viewer=viewer).values("pk"))
    )
    return get_or_404(qs, pk)


def second_review_signers(*, case: DowngradeCase) -> QuerySet[User]:
    """The panel and the city's staff (``review.sign_second_review``)."""
    panel = getattr(case, "panel", None)
    experts = panel.memberships.values("expert") if panel is not None else []
    city = case.enterprise.county.city
    return User.objects.filter(
        Q(pk__in=experts) | Q(role=User.Role.CITY, region=city), is_active=True
    ).select_related("expert_profile")


def decision_signers(*, case: DowngradeCase) -> QuerySet[User]:
    """The county's staff (``review.decide_downgrade``; four-eyes checked by the service)."""
    return User.objects.filter(
        role=User.Role.COUNTY, region=case.enterprise.county, is_active=True
    ).order_by("full_name", "username")
