"""Reads of the emergency list, scoped to who asks (404 outside reach)."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from emergency_list.models import EntryMeasure, EntryProcess, ListEntry
from grading.jurisdiction import scope_to_viewer
from grading.models import User


def entry_list(*, viewer: User, year: int, county=None, search: str = "") -> QuerySet[ListEntry]:
    qs = scope_to_viewer(ListEntry.objects.filter(year=year), viewer, enterprise_path="enterprise")
    if county is not None:
        qs = qs.filter(county=county)
    if search:
        qs = qs.filter(enterprise__name__contains=search.strip())
    return qs.select_related("enterprise", "county", "grade").order_by(
        "county__code", "enterprise__name", "id"
    )


def entry_get(*, viewer: User, pk: int) -> ListEntry:
    qs = scope_to_viewer(ListEntry.objects.all(), viewer, enterprise_path="enterprise")
    try:
        return (
            qs.select_related("enterprise__county__parent", "county", "grade")
            .prefetch_related(
                Prefetch(
                    "processes",
                    queryset=EntryProcess.objects.select_related("process__line").prefetch_related(
                        Prefetch("measures", queryset=EntryMeasure.objects.order_by("level"))
                    ),
                ),
                "revisions__changed_by",
            )
            .get(pk=pk)
        )
    except (ListEntry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
