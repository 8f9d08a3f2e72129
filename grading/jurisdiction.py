"""The one place that decides what a user may see.

Every queryset of views, API and exports that shows enterprises (or anything hanging from an
enterprise) goes through ``scope_to_viewer``. A county user sees only its county, a city user
its counties, the province everything in it, an enterprise user only itself. Objects outside
the viewer's reach are answered with 404, the same as missing ones.
"""

from django.db.models import Q, QuerySet

from grading.models import Region, User


def county_units_for(viewer: User) -> QuerySet[Region]:
    """The county-level units (or city-level units reviewing as counties) the viewer oversees."""
    holds = Q(level=Region.Level.COUNTY) | Q(level=Region.Level.CITY, reviews_as_county=True)
    units = Region.objects.filter(holds)
    if not viewer.is_authenticated or not viewer.is_active:
        return units.none()
    role = viewer.role
    if role == User.Role.ADMIN or viewer.is_superuser:
        return units
    region = viewer.region
    if region is None:
        return units.none()
    if role == User.Role.COUNTY:
        return units.filter(pk=region.pk)
    if role == User.Role.CITY:
        return units.filter(Q(pk=region.pk) | Q(parent=region))
    if role == User.Role.PROVINCE:
        return units.filter(Q(parent=region) | Q(parent__parent=region))
    return units.none()


def scope_to_viewer(queryset: QuerySet, viewer: User, *, enterprise_path: str = "") -> QuerySet:
    """Filter ``queryset`` to what ``viewer`` may see.

    ``enterprise_path`` is the lookup from the queryset's model to its enterprise ("" when the
    queryset is of enterprises, "enterprise" for a model with an ``enterprise`` foreign key).
    """
    prefix = f"{enterprise_path}__" if enterprise_path else ""
    if not viewer.is_authenticated or not viewer.is_active:
        return queryset.none()
    if viewer.role == User.Role.ENTERPRISE:
        if viewer.enterprise_id is None:
            return queryset.none()
        return queryset.filter(**{enterprise_path or "pk": viewer.enterprise_id})
    if viewer.role == User.Role.EXPERT:
        # Experts see the enterprises of the panels they sit on (review stage); none otherwise.
        return queryset.none()
    if viewer.role == User.Role.ADMIN or viewer.is_superuser:
        return queryset
    return queryset.filter(**{f"{prefix}county__in": county_units_for(viewer)})


def region_in_reach(viewer: User, region: Region) -> bool:
    """Whether the viewer may register or move an enterprise into ``region``."""
    return county_units_for(viewer).filter(pk=region.pk).exists()
