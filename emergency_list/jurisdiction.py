"""The emergency list's reach above a county: which scopes (county, city, province) a user may
look at, export and follow Excel jobs of, and which cities' alerts a user reads.

Built on ``grading.jurisdiction`` (county-level units) and ``grading.rules`` (roles); the
predicates of ``emergency_list.rules`` and the querysets of ``emergency_list.selectors`` both
ask these two functions, so a check on one object and a list of many give the same answer.
"""

from django.db.models import Q, QuerySet

from grading.jurisdiction import county_units_for
from grading.models import Region, User
from grading.rules import is_admin, is_bureau_staff, is_city_staff, is_province_staff


def list_scopes_for(viewer: User) -> QuerySet[Region]:
    """The regions whose list the viewer looks at: the county-level units of its jurisdiction,
    and above them its own city (city staff) or its province and the province's cities
    (province staff); every region for the administrator, none outside the bureaus."""
    if is_admin(viewer):
        return Region.objects.all()
    if not is_bureau_staff(viewer) or viewer.region_id is None:
        return Region.objects.none()
    reach = Q(pk__in=county_units_for(viewer))
    if is_city_staff(viewer) or is_province_staff(viewer):
        reach |= Q(pk=viewer.region_id)
    if is_province_staff(viewer):
        reach |= Q(level=Region.Level.CITY, parent_id=viewer.region_id)
    return Region.objects.filter(reach)


def alert_cities_for(viewer: User) -> QuerySet[Region]:
    """The cities whose alerts the viewer reads: every city for the administrator, the cities of
    its province for province staff, its own city for city staff and its county's city for
    county staff; none outside the bureaus."""
    cities = Region.objects.filter(level=Region.Level.CITY)
    if is_admin(viewer):
        return cities
    region = viewer.region if is_bureau_staff(viewer) else None
    if region is None:
        return cities.none()
    if is_province_staff(viewer):
        return cities.filter(parent=region)
    city = region.city
    return cities.filter(pk=city.pk) if city is not None else cities.none()
