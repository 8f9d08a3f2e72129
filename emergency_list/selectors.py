"""Reads of the emergency list, scoped to who asks: an object or a scope outside the viewer's
reach is a 404 (the same as a missing one); a user outside the bureaus asking for what only
the bureaus use is refused with a Chinese reason (403). Pages and the API call these and
nothing else, so they give the same answers."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from emergency_list.jurisdiction import alert_cities_for, list_scopes_for
from emergency_list.models import (
    Alert,
    AlertLevel,
    EntryMeasure,
    EntryProcess,
    ExcelJob,
    ListEntry,
    MeasureTemplate,
)
from emergency_list.services.documents import KINDS, documents_list
from emergency_list.services.measures import applies
from grading.jurisdiction import county_units_for, scope_to_viewer
from grading.models import IndicatorSet, Region, User
from grading.rules import allows

# --- entries ---------------------------------------------------------------------------------


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
                    queryset=EntryProcess.objects.select_related(
                        "process__line", "industry", "grade"
                    ).prefetch_related(
                        Prefetch("measures", queryset=EntryMeasure.objects.order_by("level"))
                    ),
                ),
                "revisions__changed_by",
            )
            .get(pk=pk)
        )
    except (ListEntry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def entry_measure_get(*, entry: ListEntry, pk: int) -> EntryMeasure:
    """A measure of ``entry`` (read through ``entry_get``); any other is a 404."""
    try:
        return EntryMeasure.objects.select_related("entry_process__process").get(
            pk=pk, entry_process__entry=entry
        )
    except (EntryMeasure.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass(frozen=True)
class StoredDocument:
    """A rendered plan or signboard of an entry: ``index`` counts from the newest revision."""

    kind: str
    index: int
    name: str
    path: str


def entry_documents(*, viewer: User, entry: ListEntry) -> list[StoredDocument]:
    """The entry's stored 一厂一策 plans and signboards, newest first per kind (R-LIST-4,
    R-LIST-5): for whoever reads the entry, the enterprise included."""
    if not allows(viewer, "emergency_list.view_entry_documents", entry):
        raise Http404
    return [
        StoredDocument(kind=kind, index=i, name=path.rsplit("/", 1)[-1], path=path)
        for kind, paths in documents_list(entry).items()
        for i, path in enumerate(paths)
    ]


def entry_document_get(
    *, viewer: User, pk: int, kind: str, index: int
) -> tuple[ListEntry, StoredDocument]:
    """One stored document of an entry within reach, with its entry; anything else is a 404."""
    if kind not in KINDS:
        raise Http404
    entry = entry_get(viewer=viewer, pk=pk)
    found = [d for d in entry_documents(viewer=viewer, entry=entry) if d.kind == kind]
    if not 0 <= index < len(found):
        raise Http404
    return entry, found[index]


# --- scopes ----------------------------------------------------------------------------------


def _require_list_reader(viewer: User) -> None:
    if not allows(viewer, "emergency_list.view_list"):
        raise PermissionDenied(_("只有生态环境部门可以查看应急减排清单"))


def list_scope_get(*, viewer: User, code: str = "") -> Region:
    """The scope (a county, a city or the province) whose list and ratio check the viewer
    looks at: the one asked for by code, else the viewer's own region (the province for an
    administrator without one)."""
    _require_list_reader(viewer)
    if code:
        scope = Region.objects.filter(code=code).first()
    else:
        scope = viewer.region or (
            Region.objects.filter(level=Region.Level.PROVINCE).order_by("code").first()
        )
    if scope is None or not allows(viewer, "emergency_list.view_scope", scope):
        raise Http404
    return scope


def list_scope_children(*, viewer: User, scope: Region) -> QuerySet[Region]:
    """The scopes within ``scope`` one level down that the viewer looks at."""
    return list_scopes_for(viewer).filter(parent=scope).order_by("code")


def excel_export_scopes(*, viewer: User) -> QuerySet[Region]:
    """The scopes the viewer may export: the province, then cities, then counties."""
    rank = Case(
        When(level=Region.Level.PROVINCE, then=Value(0)),
        When(level=Region.Level.CITY, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list_scopes_for(viewer).annotate(rank=rank).order_by("rank", "code")


def excel_import_counties(*, viewer: User) -> QuerySet[Region]:
    """The county-level units whose list the viewer may import."""
    if not allows(viewer, "emergency_list.view_excel_jobs"):
        return Region.objects.none()
    return county_units_for(viewer).order_by("code")


# --- alerts ----------------------------------------------------------------------------------


def _require_alert_reader(viewer: User) -> None:
    if not allows(viewer, "emergency_list.view_alerts"):
        raise PermissionDenied(_("只有生态环境部门可以查看预警测算"))


def alert_list(*, viewer: User) -> QuerySet[Alert]:
    """The alerts of the cities whose alerts the viewer reads, newest first."""
    _require_alert_reader(viewer)
    return (
        Alert.objects.filter(cities__in=alert_cities_for(viewer))
        .distinct()
        .select_related("called_by")
        .prefetch_related("cities")
    )


def alert_get(*, viewer: User, pk: int) -> Alert:
    _require_alert_reader(viewer)
    try:
        alert = Alert.objects.select_related("called_by").prefetch_related("cities").get(pk=pk)
    except (Alert.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not allows(viewer, "emergency_list.view_alert", alert):
        raise Http404
    return alert


#: What a county does not read of an alert: the other counties' shortfalls, the cities' and the
#: overall totals.
CITY_WIDE_PARTS = ("cities", "overall", "shortfalls")


def alert_results_for(*, viewer: User, alert: Alert) -> dict:
    """The part of the alert's record the viewer reads: all of it for those who read the whole
    alert (``view_alert_totals``); for a county, its own county's totals and duties only."""
    results = dict(alert.results)
    if allows(viewer, "emergency_list.view_alert_totals", alert):
        return results
    code = viewer.region.code if viewer.region_id else None
    results["counties"] = [c for c in results.get("counties", []) if c["code"] == code]
    results["duties"] = [d for d in results.get("duties", []) if d.get("county_code") == code]
    for part in CITY_WIDE_PARTS:
        results.pop(part, None)
    return results


def alert_city_choices(*, viewer: User) -> QuerySet[Region]:
    """The cities the viewer may call an alert for (none for who may not call one)."""
    if not allows(viewer, "emergency_list.call_alerts"):
        return Region.objects.none()
    return alert_cities_for(viewer).order_by("code")


# --- Excel jobs ------------------------------------------------------------------------------


def _require_excel_user(viewer: User) -> None:
    if not allows(viewer, "emergency_list.view_excel_jobs"):
        raise PermissionDenied(_("只有生态环境部门可以导入导出清单"))


def excel_job_list(*, viewer: User) -> QuerySet[ExcelJob]:
    """The Excel jobs of the scopes the viewer looks at now, whoever asked for them."""
    _require_excel_user(viewer)
    return ExcelJob.objects.filter(region__in=list_scopes_for(viewer)).select_related(
        "region", "requested_by"
    )


def excel_job_get(*, viewer: User, pk: int) -> ExcelJob:
    _require_excel_user(viewer)
    try:
        job = ExcelJob.objects.select_related("region", "requested_by").get(pk=pk)
    except (ExcelJob.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not allows(viewer, "emergency_list.view_excel_job", job):
        raise Http404
    return job


def measure_completeness() -> list[dict]:
    """Per industry and guideline version (each indicator set), which measures are missing
    (R-LIST-8): no measure table of the industry for the version (the list then uses the local
    general pattern), or grades of the scheme without a measure at some alert level. Three
    queries."""
    sets = list(
        IndicatorSet.objects.select_related("industry__category", "guideline_version", "scheme")
        .prefetch_related("scheme__grades")
        .order_by("industry__category__seq", "industry__seq", "industry__code", "effective_from")
    )
    tables: dict[tuple, list[MeasureTemplate]] = {}
    for t in MeasureTemplate.objects.filter(industry__isnull=False):
        tables.setdefault((t.industry_id, t.guideline_version_id), []).append(t)
    out = []
    for s in sets:
        own = tables.get((s.industry_id, s.guideline_version_id))
        shipped = not own and bool(tables.get((s.industry_id, None)))
        rows = own or tables.get((s.industry_id, None)) or []
        missing = [
            f"{g.name}/{level.label}"
            for g in s.scheme.ordered_grades()
            for level in AlertLevel
            if not any(t.grade_id == g.pk and applies(t, level) for t in rows)
        ]
        out.append(
            {
                "set": s,
                "table": bool(own),
                "shipped": shipped,
                "count": len(rows),
                "missing": missing if rows else [],
                "empty": not rows,
            }
        )
    return out
