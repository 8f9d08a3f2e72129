"""The one place that decides what a user may see.

Every queryset of views, API and exports that shows enterprises (or anything hanging from an
enterprise) goes through ``scope_to_viewer``. A county user sees only its county, a city user
its counties, the province everything in it, an enterprise user only itself. Objects outside
the viewer's reach are answered with 404, the same as missing ones.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from grading.models import Region, User


def county_units_for_all() -> QuerySet[Region]:
    """Every county-level unit (or city-level unit reviewing as a county)."""
    return Region.objects.filter(
        Q(level=Region.Level.COUNTY) | Q(level=Region.Level.CITY, reviews_as_county=True)
    )


def county_units_for(viewer: User) -> QuerySet[Region]:
    """The county-level units (or city-level units reviewing as counties) the viewer oversees."""
    units = county_units_for_all()
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


def county_unit_ids_for(viewer: User) -> list[int] | None:
    """The ids of ``county_units_for(viewer)``, or None when they are every unit there is (the
    administrator, a province holding all units): no filter at all. Resolved once per request:
    kept on the user object (``request.user`` is one object per request) under the viewer's
    role, region and state, so a change of those is never served from an old answer.

    A plain id list lets the planner estimate the rows (an OR over parent and grandparent made
    it expect 30 units of a province's 157)."""
    if not viewer.is_authenticated:
        return []
    key = (viewer.pk, viewer.role, viewer.region_id, viewer.is_active, viewer.is_superuser)
    cached = getattr(viewer, "_county_unit_ids", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    ids: list[int] | None
    if viewer.is_active and viewer.role == User.Role.COUNTY and not viewer.is_superuser:
        region = viewer.region  # its own unit: no query beyond the region
        ids = [region.pk] if region is not None and region.holds_enterprises else []
    else:  # one query: every unit, and whether it is the viewer's
        mine = county_units_for(viewer).filter(pk=OuterRef("pk"))
        rows = list(county_units_for_all().annotate(mine=Exists(mine)).values_list("pk", "mine"))
        ids = [pk for pk, is_mine in rows if is_mine]
        if ids and len(ids) == len(rows):
            ids = None
    viewer._county_unit_ids = (key, ids)
    return ids


def unit_ids_within(region: Region) -> list[int]:
    """The county-level unit ids of ``region``: itself and the units directly under it."""
    return list(
        Region.objects.filter(Q(pk=region.pk) | Q(parent=region)).values_list("pk", flat=True)
    )


def scope_to_viewer(
    queryset: QuerySet, viewer: User, *, enterprise_path: str = "", county_path: str = ""
) -> QuerySet:
    """Filter ``queryset`` to what ``viewer`` may see.

    ``enterprise_path`` is the lookup from the queryset's model to its enterprise ("" when the
    queryset is of enterprises, "enterprise" for a model with an ``enterprise`` foreign key).
    ``county_path`` is the lookup to the county that places a row in a bureau's reach, when the
    row has one of its own (a list entry belongs to the list of its county); by default the
    enterprise's county.
    """
    prefix = f"{enterprise_path}__" if enterprise_path else ""
    county_lookup = f"{county_path or prefix + 'county'}_id__in"
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
    ids = county_unit_ids_for(viewer)
    if ids is None:
        return queryset
    return queryset.filter(**{county_lookup: ids})


def region_in_reach(viewer: User, region: Region) -> bool:
    """Whether the viewer may register or move an enterprise into ``region``."""
    return county_units_for(viewer).filter(pk=region.pk).exists()
