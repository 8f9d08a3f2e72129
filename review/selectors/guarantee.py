"""The guarantee-class chain's reads (R-GUAR-3), scoped to who asks: the cities a bureau may
read the guarantee list of, a city's list, and the reports sent to the province."""

from django.db.models import Q, QuerySet

from declarations.models import Declaration
from declarations.selectors import guarantee_declarations, guarantee_removals
from grading.jurisdiction import county_units_for
from grading.models import Region, User
from review.models import GuaranteeReport
from review.rules import require


def guarantee_cities(*, viewer: User) -> QuerySet[Region]:
    """The cities whose guarantee lists the viewer reads: those of its county-level units."""
    require(viewer, "review.view_guarantee_lists")
    units = county_units_for(viewer)
    return Region.objects.filter(
        Q(level=Region.Level.CITY) & (Q(pk__in=units.values("parent")) | Q(pk__in=units))
    ).order_by("code")


def guarantee_reports(*, viewer: User, city: Region, year: int) -> QuerySet[GuaranteeReport]:
    require(viewer, "review.view_guarantee_lists")
    return GuaranteeReport.objects.filter(
        city__in=guarantee_cities(viewer=viewer).filter(pk=city.pk), year=year
    ).select_related("submitted_by")


def _counties_of(viewer: User, city: Region) -> QuerySet[Region]:
    return county_units_for(viewer).filter(Q(pk=city.pk) | Q(parent=city))


def guarantee_list(*, viewer: User, city: Region, year: int) -> QuerySet[Declaration]:
    """The city's guarantee list of the year, as much of it as lies in the viewer's reach (a
    county sees its own enterprises); the declarations stage's one data source."""
    require(viewer, "review.view_guarantee_lists")
    return guarantee_declarations(counties=_counties_of(viewer, city), year=year)


def guarantee_removed_list(*, viewer: User, city: Region, year: int) -> QuerySet:
    require(viewer, "review.view_guarantee_lists")
    return guarantee_removals(counties=_counties_of(viewer, city), year=year)
