"""Technical service units (002 第二十一条; R-REV-7, R-REV-8): a city reads the units it keeps
and the province's, the province every unit; a unit's served enterprises are read only within
the reader's jurisdiction; another city's unit is a 404."""

from django.db.models import Prefetch, QuerySet

from grading.jurisdiction import county_units_for
from grading.models import User
from review.models import ServiceEngagement, ServiceUnit, ServiceUnitBlacklisting, ServiceUnitMember
from review.rules import pools_in_reach, require
from review.selectors import get_or_404


def engagements_readable_by(viewer: User) -> QuerySet[ServiceEngagement]:
    """Services to enterprises of the viewer's jurisdiction."""
    return ServiceEngagement.objects.filter(
        enterprise__county__in=county_units_for(viewer)
    ).select_related("enterprise__county", "recorded_by")


def unit_list(*, viewer: User, detail: bool = False) -> QuerySet[ServiceUnit]:
    require(viewer, "review.view_service_units")
    units = (
        ServiceUnit.objects.filter(region__in=pools_in_reach(viewer))
        .select_related("region", "created_by")
        .prefetch_related(
            Prefetch(
                "blacklistings",
                queryset=ServiceUnitBlacklisting.objects.filter(lifted_at__isnull=True),
                to_attr="active_blacklistings",
            )
        )
        .order_by("region__code", "name", "id")
    )
    if detail:
        units = units.prefetch_related(
            Prefetch(
                "members",
                queryset=ServiceUnitMember.objects.select_related("expert").order_by(
                    "until", "-since", "id"
                ),
            ),
            Prefetch(
                "engagements",
                queryset=engagements_readable_by(viewer),
                to_attr="readable_engagements",
            ),
            Prefetch(
                "blacklistings",
                queryset=ServiceUnitBlacklisting.objects.select_related("recorded_by"),
                to_attr="all_blacklistings",
            ),
        )
    return units


def unit_get(*, viewer: User, pk, detail: bool = False) -> ServiceUnit:
    return get_or_404(unit_list(viewer=viewer, detail=detail), pk)


def unit_member_get(*, unit: ServiceUnit, pk) -> ServiceUnitMember:
    return get_or_404(ServiceUnitMember.objects.filter(unit=unit).select_related("expert"), pk)


def unit_blacklisting_get(*, unit: ServiceUnit, pk) -> ServiceUnitBlacklisting:
    return get_or_404(ServiceUnitBlacklisting.objects.filter(unit=unit), pk)
