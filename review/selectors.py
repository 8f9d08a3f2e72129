"""Reads of the review chain, scoped to who asks (404 outside reach)."""

from django.db.models import QuerySet
from django.http import Http404

from grading.jurisdiction import scope_to_viewer
from grading.models import User
from review.models import ReviewCase


def case_list(*, viewer: User, stage: str = "") -> QuerySet[ReviewCase]:
    """Bureau staff see the cases of their jurisdiction, the province every case in the
    province; experts the cases whose panel they sit on; an enterprise its own."""
    qs = ReviewCase.objects.all()
    if viewer.role == User.Role.EXPERT:
        qs = qs.filter(panel__memberships__expert=viewer) if viewer.is_active else qs.none()
    else:
        qs = scope_to_viewer(qs, viewer, enterprise_path="declaration__enterprise")
    if stage:
        qs = qs.filter(stage=stage)
    return qs.select_related(
        "declaration__enterprise__county__parent",
        "declaration__industry",
        "declaration__requested_grade",
        "version",
        "proposed_grade",
        "city_grade",
        "final_grade",
    ).order_by("reached_stage_at", "id")


def case_get(*, viewer: User, pk: int) -> ReviewCase:
    try:
        return case_list(viewer=viewer).get(pk=pk)
    except (ReviewCase.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def open_case_for(declaration) -> ReviewCase | None:
    return ReviewCase.objects.filter(declaration=declaration, stage__in=ReviewCase.OPEN).first()


def staff_of(region, role: str) -> QuerySet[User]:
    """Active staff of one role at one region (who is notified when a case reaches them)."""
    return User.objects.filter(role=role, region=region, is_active=True)


def city_staff_for(county) -> QuerySet[User]:
    city = county if county.level == "city" else county.parent
    return staff_of(city, User.Role.CITY)


def province_staff_for(county) -> QuerySet[User]:
    province = county.parent if county.level == "city" else county.parent.parent
    return User.objects.filter(role=User.Role.PROVINCE, region=province, is_active=True)
