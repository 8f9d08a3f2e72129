"""The bureaus' Excel files: those of regions in the viewer's reach."""

from django.db.models import Q, QuerySet
from django.http import Http404

from grading.jurisdiction import county_units_for
from grading.models import Region, User
from grading.rules import is_admin
from publication.models import ExportFile
from publication.rules import is_regional_staff


def regions_in_reach(viewer: User) -> QuerySet[Region]:
    """The province, cities and county-level units wholly in the viewer's reach."""
    if is_admin(viewer):
        return Region.objects.all()
    if not is_regional_staff(viewer) or viewer.region_id is None:
        return Region.objects.none()
    units = county_units_for(viewer)
    mine = viewer.region
    if mine.level == Region.Level.COUNTY:
        return Region.objects.filter(pk=mine.pk)
    if mine.level == Region.Level.CITY:
        return Region.objects.filter(Q(pk=mine.pk) | Q(pk__in=units.values("pk")))
    return Region.objects.filter(Q(pk=mine.pk) | Q(parent=mine) | Q(pk__in=units.values("pk")))


def export_list(*, viewer: User, kind: str = "") -> QuerySet[ExportFile]:
    qs = ExportFile.objects.filter(region__in=regions_in_reach(viewer)).select_related(
        "region", "requested_by"
    )
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-requested_at", "-pk")


def export_get(*, viewer: User, pk: int) -> ExportFile:
    try:
        return export_list(viewer=viewer).get(pk=pk)
    except (ExportFile.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
