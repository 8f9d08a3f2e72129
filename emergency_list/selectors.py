"""Reads of the emergency list, scoped to who asks: an object or a scope outside the viewer's
reach is a 404 (the same as a missing one); a user outside the bureaus asking for what only
the bureaus use is refused with a Chinese reason (403). Pages and the API call these and
nothing else, so they give the same answers."""

from dataclasses import dataclass
from types import SimpleNamespace

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from core import jobs
from core.audit import event_list_for
from core.models import JobRun
from emergency_list.duties import alert_duties_iter, alert_duty_dicts  # noqa: F401 (read here)
from emergency_list.jurisdiction import alert_cities_for, list_scopes_for
from emergency_list.models import (
    Alert,
    AlertDuty,
    AlertLevel,
    CountyListVersion,
    EntryDocument,
    EntryMeasure,
    EntryProcess,
    ExcelJob,
    ListEntry,
    MeasureTemplate,
)
from emergency_list.services.documents import KINDS, documents_list
from emergency_list.services.history import (
    Change,
    Version,
    entry_versions,
    snapshot_diff,
    version_snapshot,
)
from emergency_list.services.measures import applies
from emergency_list.services.rounds import contents_diff, version_content
from grading.jurisdiction import county_units_for, scope_to_viewer
from grading.models import IndicatorSet, Region, User
from grading.rules import allows

# --- entries ---------------------------------------------------------------------------------


def entry_list(*, viewer: User, year: int, county=None, search: str = "") -> QuerySet[ListEntry]:
    qs = scope_to_viewer(
        ListEntry.objects.filter(year=year),
        viewer,
        enterprise_path="enterprise",
        county_path="county",
    )
    if county is not None:
        qs = qs.filter(county=county)
    if search:
        qs = qs.filter(enterprise__name__contains=search.strip())
    return qs.select_related("enterprise", "county", "grade").order_by(
        "county__code", "enterprise__name", "id"
    )


def entry_get(*, viewer: User, pk: int) -> ListEntry:
    qs = scope_to_viewer(
        ListEntry.objects.all(), viewer, enterprise_path="enterprise", county_path="county"
    )
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


def entry_history(*, entry: ListEntry) -> list[Version]:
    """The versions of an entry read through ``entry_get``, newest first (R-LIST-6)."""
    return entry_versions(entry)


def entry_version_diff(*, entry: ListEntry, older: int, newer: int) -> list[Change]:
    """What changed from version ``older`` to version ``newer`` of an entry read through
    ``entry_get``; a version the entry never had is refused with a Chinese reason."""
    snapshots = {}
    for n in (older, newer):
        snapshots[n] = version_snapshot(entry, n)
        if snapshots[n] is None:
            raise ValidationError(_("该清单企业没有第%d版") % n)
    return snapshot_diff(snapshots[older], snapshots[newer])


@dataclass(frozen=True)
class StoredDocument:
    """A rendered plan or signboard of an entry: ``index`` counts from the newest per kind,
    ``revision`` is the version of the entry it shows."""

    kind: str
    index: int
    name: str
    path: str
    revision: int
    created_at: object = None


def entry_documents(*, viewer: User, entry: ListEntry) -> list[StoredDocument]:
    """The entry's 一厂一策 plans and signboards, newest version first per kind (R-LIST-4,
    R-LIST-5): for whoever reads the entry, the enterprise included. Files stored before they
    were recorded are listed too, by their names."""
    if not allows(viewer, "emergency_list.view_entry_documents", entry):
        raise Http404
    rows = list(EntryDocument.objects.filter(entry=entry).order_by("kind", "-revision", "-id"))
    recorded = {d.path for d in rows}
    by_kind: dict[str, list[tuple[int, object, str]]] = {k: [] for k in KINDS}
    for d in rows:
        by_kind.setdefault(d.kind, []).append((d.revision, d.created_at, d.path))
    for kind, paths in documents_list(entry).items():
        for path in paths:
            if path not in recorded:
                revision = int(path.rsplit("/", 1)[-1].partition("-r")[2].split("-")[0])
                by_kind[kind].append((revision, None, path))
    out = []
    for kind in KINDS:
        ordered = sorted(by_kind[kind], key=lambda r: (r[0], r[1] is not None), reverse=True)
        out += [
            StoredDocument(
                kind=kind,
                index=i,
                name=path.rsplit("/", 1)[-1],
                path=path,
                revision=revision,
                created_at=created_at,
            )
            for i, (revision, created_at, path) in enumerate(ordered)
        ]
    return out


def entry_documents_state(*, entry: ListEntry) -> SimpleNamespace:
    """Where the entry's latest request for documents stands: ``pending`` while a worker has
    not yet stored them (``progress`` once it runs), ``failed`` with a plain message when the
    run ended without them (its worker died, or rendering failed)."""
    state = SimpleNamespace(pending=False, progress=None, failed="")
    asked = (
        event_list_for(entry)
        .filter(code="list.documents.requested")
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if asked is None:
        return state
    newest = entry.documents.order_by("-created_at").values_list("created_at", flat=True).first()
    if newest is not None and newest >= asked:
        return state
    run = (
        JobRun.objects.filter(
            content_type=ContentType.objects.get_for_model(ListEntry),
            object_id=str(entry.pk),
            started_at__gte=asked,
        )
        .only("state", "progress", "message")
        .first()
    )
    if run is not None and run.state in (JobRun.State.FAILED, JobRun.State.LOST):
        # a Chinese message (worker lost, too many attempts) is shown as written; an
        # exception's name is not for users
        state.failed = run.message if run.message and not run.message.isascii() else jobs.FAILED
        return state
    if run is not None and run.state == JobRun.State.SUCCEEDED:
        return state
    state.pending = True
    if run is not None:
        state.progress = run.progress
    return state


def list_generate_state(*, county: Region, year: int) -> SimpleNamespace | None:
    """The latest compiling of the county's list for ``year`` as its worker reports it:
    ``running`` with ``progress``, ``failed`` with a plain message, or ``finished_at``."""
    run = JobRun.objects.filter(
        content_type=ContentType.objects.get_for_model(Region), object_id=f"{county.pk}-{year}"
    ).first()
    if run is None:
        return None
    failed = ""
    if run.state in (JobRun.State.FAILED, JobRun.State.LOST):
        failed = run.message if run.message and not run.message.isascii() else jobs.FAILED
    return SimpleNamespace(
        running=run.state == JobRun.State.RUNNING,
        progress=run.progress,
        failed=failed,
        finished_at=run.finished_at,
    )


def entry_documents_pending(*, entry: ListEntry) -> bool:
    """Whether documents were asked for after the newest one was stored and a worker is on it."""
    return entry_documents_state(entry=entry).pending


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


# --- list versions (R-LIST-6) ------------------------------------------------------------------


def list_round_scope(*, viewer: User, code: str = "") -> Region:
    """The county whose rounds and versions the viewer looks at (its list scope, a county)."""
    scope = list_scope_get(viewer=viewer, code=code)
    if not scope.holds_enterprises:
        raise ValidationError(_("请选择县（市、区）查看清单版本"))
    return scope


def list_versions(*, county: Region, year: int) -> QuerySet[CountyListVersion]:
    """The county's published versions of ``year`` (read through ``list_round_scope``)."""
    return CountyListVersion.objects.filter(county=county, year=year).select_related(
        "published_by", "window"
    )


def list_version_diff(*, county: Region, year: int, older: int, newer: int) -> list:
    """What changed between two versions of the county's list (0: before the first)."""
    return contents_diff(version_content(county, year, older), version_content(county, year, newer))


# --- alerts ----------------------------------------------------------------------------------


def _require_alert_reader(viewer: User) -> None:
    if not allows(viewer, "emergency_list.view_alerts"):
        raise PermissionDenied(_("只有生态环境部门可以查看预警测算"))


def alert_list(*, viewer: User) -> QuerySet[Alert]:
    """The alerts of the cities whose alerts the viewer reads, newest first: the summary
    columns only (neither the totals nor the duties are read to list alerts)."""
    _require_alert_reader(viewer)
    in_reach = Alert.cities.through.objects.filter(
        alert_id=OuterRef("pk"), region__in=alert_cities_for(viewer)
    )
    return (
        Alert.objects.filter(Exists(in_reach))
        .defer("results")
        .select_related("called_by")
        .prefetch_related("cities")
        .order_by("-called_at", "-id")
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
    """The part of the alert's totals the viewer reads: all of it for those who read the whole
    alert (``view_alert_totals``); for a county, its own county's totals only."""
    results = dict(alert.results)
    if allows(viewer, "emergency_list.view_alert_totals", alert):
        return results
    code = viewer.region.code if viewer.region_id else None
    results["counties"] = [c for c in results.get("counties", []) if c["code"] == code]
    for part in CITY_WIDE_PARTS:
        results.pop(part, None)
    return results


def alert_duties_for(*, viewer: User, alert: Alert) -> QuerySet[AlertDuty]:
    """The duties of the alert the viewer reads, in the alert's order (``position``, indexed
    with the alert): every one for who reads the whole alert, a county's own otherwise (its
    range of positions, kept with the county's totals). Present them with
    ``alert_duty_dicts``."""
    duties = AlertDuty.objects.filter(alert=alert).order_by("position")
    if allows(viewer, "emergency_list.view_alert_totals", alert):
        return duties
    own = duties.filter(county_id=viewer.region_id)
    for county in (alert.results or {}).get("counties", []):
        if county.get("id") == viewer.region_id and county.get("positions"):
            return own.filter(position__range=county["positions"])
    return own


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
