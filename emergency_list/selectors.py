"""Reads of the emergency list, scoped to who asks: an object or a scope outside the viewer's
reach is a 404 (the same as a missing one); a user outside the bureaus asking for what only
the bureaus use is refused with a Chinese reason (403). Pages and the API call these and
nothing else, so they give the same answers."""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from core.audit import event_list_for
from emergency_list.jurisdiction import alert_cities_for, list_scopes_for
from emergency_list.models import (
    Action,
    Alert,
    AlertDuty,
    AlertDutyProcess,
    CountyListVersion,
    EntryDocument,
    EntryMeasure,
    EntryProcess,
    ExcelJob,
    ListEntry,
    TransportRule,
)
from emergency_list.services.documents import KINDS, documents_list
from emergency_list.services.entries import exempt_reason
from emergency_list.services.history import (
    Change,
    Version,
    entry_versions,
    snapshot_diff,
    version_snapshot,
)
from emergency_list.services.ratios import POLLUTANTS
from emergency_list.services.rounds import contents_diff, version_content
from grading.jurisdiction import county_units_for, scope_to_viewer
from grading.models import Region, User
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


def entry_documents_pending(*, entry: ListEntry) -> bool:
    """Whether documents were asked for after the newest one was stored (a worker is on it)."""
    asked = (
        event_list_for(entry)
        .filter(code="list.documents.requested")
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if asked is None:
        return False
    newest = entry.documents.order_by("-created_at").values_list("created_at", flat=True).first()
    return newest is None or newest < asked


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
    with the alert and the county): every one for who reads the whole alert, a county's own
    otherwise. Present them with ``alert_duty_dicts``."""
    duties = AlertDuty.objects.filter(alert=alert).order_by("position")
    if allows(viewer, "emergency_list.view_alert_totals", alert):
        return duties
    return duties.filter(county_id=viewer.region_id)


TRANSPORT_RANK = {
    TransportRule.NONE: 0,
    TransportRule.BAN_HEAVY_LE_CN4: 1,
    TransportRule.STOP_ROAD: 2,
}


def _process_dict(p: AlertDutyProcess) -> dict:
    if not p.action:
        return {
            "process": p.process_id,
            "name": p.name,
            "line": p.line_name,
            "action": "",
            "action_label": _("未设定"),
            "ratio_pct": "0",
            "text": _("本级别未生成措施"),
            "transport_rule": TransportRule.NONE,
            "transport_label": "",
            "override": False,
            "cut": dict.fromkeys(POLLUTANTS, "0"),
        }
    rule = p.transport_rule or TransportRule.NONE
    return {
        "process": p.process_id,
        "name": p.name,
        "line": p.line_name,
        "action": p.action,
        "action_label": str(Action(p.action).label),
        "ratio_pct": str(p.ratio_pct),
        "text": p.text,
        "transport_rule": rule,
        "transport_label": "" if rule == TransportRule.NONE else str(TransportRule(rule).label),
        "override": p.is_override,
        "cut": {k: str(getattr(p, f"{k}_td")) for k in POLLUTANTS},
    }


def alert_duty_dicts(duties: list[AlertDuty]) -> list[dict]:
    """Each duty (of one alert) with its processes (one query for the lot): per process the
    action, ratio, text, transport rule and cut; the enterprise's cut and strongest transport
    rule, and why it is exempt (R-LIST-3, R-GUAR-4)."""
    by_entry: dict[int, list[AlertDutyProcess]] = {d.entry_id: [] for d in duties}
    if duties:
        rows = AlertDutyProcess.objects.filter(
            alert_id=duties[0].alert_id, entry_id__in=list(by_entry)
        ).order_by("entry_id", "entry_process_id")
        for p in rows:
            by_entry[p.entry_id].append(p)
    out = []
    for d in duties:
        processes = [_process_dict(p) for p in by_entry[d.entry_id]]
        cut = {k: sum((Decimal(p["cut"][k]) for p in processes), Decimal(0)) for k in POLLUTANTS}
        transport = max(
            (p["transport_rule"] for p in processes if p["action"]),
            key=lambda r: TRANSPORT_RANK.get(r, 0),
            default=TransportRule.NONE,
        )
        flags = SimpleNamespace(
            is_guarantee=d.is_guarantee,
            guarantee_scope=d.guarantee_scope,
            is_power_plant=d.is_power_plant,
            is_heating_boiler=d.is_heating_boiler,
            enterprise=SimpleNamespace(is_small_micro=d.is_small_micro),
        )
        out.append(
            {
                "entry": d.entry_id,
                "revision": d.revision,
                "enterprise": d.enterprise_id,
                "name": d.name,
                "city": d.city_name,
                "county": d.county_name,
                "county_code": d.county_code,
                "grade": d.grade_code,
                "grade_name": d.grade_name,
                "flags": {
                    "power_plant": d.is_power_plant,
                    "heating_boiler": d.is_heating_boiler,
                    "small_micro": d.is_small_micro,
                    "guarantee": d.is_guarantee,
                    "guarantee_scope": d.guarantee_scope,
                    "bulk_transport": d.bulk_transport,
                },
                "exempt": d.exempt,
                "exempt_text": exempt_reason(flags) if d.exempt else "",
                "guarantee_scope": d.guarantee_scope if d.is_guarantee else "",
                "transport_rule": transport,
                "transport_label": ""
                if transport == TransportRule.NONE
                else str(TransportRule(transport).label),
                "processes": processes,
                "cut": {k: str(v) for k, v in cut.items()},
            }
        )
    return out


def alert_duties_iter(duties: QuerySet[AlertDuty], chunk: int = 2000) -> Iterator[dict]:
    """All of ``duties`` as dicts, read in keyset chunks of ``position`` (for the export)."""
    after = 0
    while True:
        rows = list(duties.filter(position__gt=after)[:chunk])
        if not rows:
            return
        yield from alert_duty_dicts(rows)
        after = rows[-1].position


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
