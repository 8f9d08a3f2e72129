"""Adjustment rounds of a county's list (R-LIST-6; 000 七, 002 第十条(5)(6), 003 六): the year's
windows as data (revised by 30 September, adjusted by 15 November and at year end), the
county's worklist of what changed since its last published version, publishing a new version,
and the difference between any two versions — on a page and as an Excel file for the city and
the province."""

from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from core.cache import cache_key
from core.jobs import broker_check, job_enqueue
from emergency_list.models import (
    PRINT_ORDER,
    AlertLevel,
    CountyListVersion,
    ExcelJob,
    ListEntry,
    ListWindow,
)
from emergency_list.services.documents import measure_short
from grading.models import Enterprise, Region, User
from grading.rules import allows

#: The seeds' windows: (kind, month, day) of each year.
DEFAULT_WINDOWS = (
    (ListWindow.Kind.REVISION, 9, 30),
    (ListWindow.Kind.ADJUSTMENT, 11, 15),
    (ListWindow.Kind.YEAR_END, 12, 31),
)


class Change:
    """Kinds of change between two versions of a county's list, in the order they are listed."""

    NEW = "new"
    REMOVED = "removed"
    STOPPED = "stopped"
    RESUMED = "resumed"
    REGRADED = "regraded"
    GUARANTEE_ADDED = "guarantee_added"
    GUARANTEE_REMOVED = "guarantee_removed"
    MEASURES = "measures"
    ORDER = (NEW, REMOVED, STOPPED, RESUMED, REGRADED, GUARANTEE_ADDED, GUARANTEE_REMOVED, MEASURES)


def change_label(kind: str) -> str:
    return {
        Change.NEW: _("新增"),
        Change.REMOVED: _("移出清单"),
        Change.STOPPED: _("停产"),
        Change.RESUMED: _("恢复生产"),
        Change.REGRADED: _("等级调整"),
        Change.GUARANTEE_ADDED: _("列入保障类"),
        Change.GUARANTEE_REMOVED: _("移出保障类"),
        Change.MEASURES: _("减排措施调整"),
    }[kind]


# --- windows ---------------------------------------------------------------------------------


def list_windows(year: int) -> list[ListWindow]:
    """The year's windows: those set for the year, the seeds' dates for kinds not set (unsaved)."""
    saved = {w.kind: w for w in ListWindow.objects.filter(year=year)}
    out = [
        saved.get(kind) or ListWindow(year=year, kind=kind, due_on=date(year, month, day))
        for kind, month, day in DEFAULT_WINDOWS
    ]
    return sorted(out, key=lambda w: w.due_on)


def window_current(year: int, today: date) -> ListWindow:
    """The window a round published on ``today`` belongs to: the next one due, else the last."""
    windows = list_windows(year)
    return next((w for w in windows if w.due_on >= today), windows[-1])


# --- what a county's list says ----------------------------------------------------------------


def entry_content(entry: ListEntry) -> dict:
    """What one entry says, as a version keeps it."""
    processes = list(entry.processes.all())
    measures = {}
    for level in PRINT_ORDER:
        parts = []
        for ep in processes:
            m = next((m for m in ep.measures.all() if m.level == level), None)
            if m is not None:
                parts.append(f"{ep.process.name}：{measure_short(m.action, m.ratio_pct)}")
        measures[level] = "；".join(parts)
    enterprise = entry.enterprise
    return {
        "name": enterprise.name,
        "uscc": enterprise.uscc,
        "grade": entry.grade.name,
        "graded": entry.graded,
        "stopped": enterprise.production_status == Enterprise.ProductionStatus.STOPPED,
        "is_guarantee": entry.is_guarantee,
        "guarantee_scope": entry.guarantee_scope,
        "revision": entry.revision,
        "measures": measures,
    }


def county_content(county: Region, year: int) -> dict[str, dict]:
    """The county's list of ``year`` as it stands, enterprise id → content."""
    entries = (
        ListEntry.objects.filter(county=county, year=year)
        .select_related("enterprise", "grade")
        .prefetch_related("processes__process", "processes__measures")
        .order_by("enterprise__name", "id")
    )
    return {str(e.enterprise_id): entry_content(e) for e in entries}


@dataclass(frozen=True)
class VersionChange:
    enterprise: str
    uscc: str
    kind: str
    label: str
    before: str
    after: str


def _measures_text(content: dict) -> str:
    m = content.get("measures") or {}
    return " | ".join(
        f"{AlertLevel(level).label}：{m[level]}" for level in PRINT_ORDER if m.get(level)
    )


def contents_diff(older: dict, newer: dict) -> list[VersionChange]:
    """Every change of each enterprise between two contents of a county's list."""
    changes = []
    for key in set(older) | set(newer):
        a, b = older.get(key), newer.get(key)
        c = b or a
        found: list[tuple[str, str, str]] = []
        if a is None:
            found.append((Change.NEW, "", f"{b['grade']}"))
        elif b is None:
            found.append((Change.REMOVED, f"{a['grade']}", ""))
        else:
            if a["stopped"] != b["stopped"]:
                kind = Change.STOPPED if b["stopped"] else Change.RESUMED
                found.append(
                    (
                        kind,
                        _("停产") if a["stopped"] else _("生产"),
                        _("停产") if b["stopped"] else _("生产"),
                    )
                )
            if a["grade"] != b["grade"]:
                found.append((Change.REGRADED, a["grade"], b["grade"]))
            if a["is_guarantee"] != b["is_guarantee"]:
                kind = Change.GUARANTEE_ADDED if b["is_guarantee"] else Change.GUARANTEE_REMOVED
                found.append((kind, a["guarantee_scope"], b["guarantee_scope"]))
            if a["measures"] != b["measures"] and a["grade"] == b["grade"]:
                found.append((Change.MEASURES, _measures_text(a), _measures_text(b)))
        for kind, before, after in found:
            changes.append(
                VersionChange(
                    enterprise=c["name"],
                    uscc=c["uscc"],
                    kind=kind,
                    label=change_label(kind),
                    before=before,
                    after=after,
                )
            )
    return sorted(changes, key=lambda x: (Change.ORDER.index(x.kind), x.enterprise, x.uscc))


def version_content(county: Region, year: int, number: int) -> dict:
    """The content of version ``number`` of the county's list (0: nothing yet); refused with a
    Chinese reason when there is no such version."""
    if number == 0:
        return {}
    version = CountyListVersion.objects.filter(county=county, year=year, number=number).first()
    if version is None:
        raise ValidationError(
            _("%(county)s%(year)s年清单没有第%(n)d版")
            % {"county": county.name, "year": year, "n": number}
        )
    return version.entries


def last_version_number(county: Region, year: int) -> int:
    found = CountyListVersion.objects.filter(county=county, year=year).aggregate(n=Max("number"))
    return found["n"] or 0


def round_worklist(county: Region, year: int) -> list[VersionChange]:
    """What changed in the county's list since its last published version (all of it, the first
    time): new, removed, stopped or resumed, regraded, guarantee added or removed, measures.

    The county's inbox shows it on every visit in the weeks before a window: the comparison is
    kept in the cache under what it depends on (the last version and when it was published; the
    entries' number, versions and last change; their enterprises' last change), read by two
    small queries, and for ten minutes at most (a process renamed in the enterprise's master
    data shows after that)."""
    last = (
        CountyListVersion.objects.filter(county=county, year=year)
        .order_by("-number")
        .values_list("number", "published_at")
        .first()
    )
    number, published = last or (0, None)
    state = ListEntry.objects.filter(county=county, year=year).aggregate(
        n=Count("id"),
        revisions=Sum("revision"),
        changed=Max("updated_at"),
        enterprises=Max("enterprise__updated_at"),
    )
    key = cache_key("round-worklist", county.pk, year, number, published, *state.values())
    changes = cache.get(key)
    if changes is None:
        changes = contents_diff(version_content(county, year, number), county_content(county, year))
        cache.set(key, changes, 600)
    return changes


# --- writes ------------------------------------------------------------------------------------


@transaction.atomic
def list_version_publish(
    *, actor: User, county: Region, year: int, note: str = "", today: date | None = None
) -> CountyListVersion:
    """R-LIST-6: the county publishes its list as it stands as the next version, in the window
    due next; refused when nothing changed since the last version."""
    if not county.holds_enterprises:
        raise ValidationError({"county": _("请选择县（市、区）级单位")})
    if not allows(actor, "emergency_list.generate_list", county):
        raise PermissionDenied(_("只有辖区生态环境部门可以发布清单版本"))
    Region.objects.select_for_update().get(pk=county.pk)  # one publisher at a time per county
    number = last_version_number(county, year)
    content = county_content(county, year)
    if not content:
        raise ValidationError(_("清单中还没有企业，请先编制清单"))
    if number and not contents_diff(version_content(county, year, number), content):
        raise ValidationError(_("与第%d版相比清单没有变化，无需发布新版本") % number)
    window = window_current(year, today or timezone.localdate())
    if window.pk is None:
        window, _created = ListWindow.objects.get_or_create(
            year=year, kind=window.kind, defaults={"due_on": window.due_on}
        )
    version = CountyListVersion.objects.create(
        county=county,
        year=year,
        number=number + 1,
        window=window,
        note=note.strip()[:300],
        entries=content,
        published_by=actor,
    )
    event_record(
        code="list.version.published",
        actor=actor,
        target=county,
        summary=_("发布%(county)s%(year)s年应急减排清单第%(n)d版（%(window)s）")
        % {
            "county": county.name,
            "year": year,
            "n": version.number,
            "window": window.get_kind_display(),
        },
        data={"version": version.pk, "number": version.number, "entries": len(content)},
    )
    return version


def diff_export_request(
    *, actor: User, county: Region, year: int, older: int, newer: int
) -> ExcelJob:
    """Queue the Excel file of what changed between two versions of the county's list (what
    goes up to the city and province), written by a worker."""
    if not allows(actor, "emergency_list.export_list", county):
        raise PermissionDenied(_("所选范围不在您的管辖范围内"))
    for n in (older, newer):
        version_content(county, year, n)  # refuses a version the county does not have
    broker_check()
    from emergency_list.tasks.versions import export_version_diff

    with transaction.atomic():
        job = ExcelJob.objects.create(
            kind=ExcelJob.Kind.DIFF,
            region=county,
            year=year,
            requested_by=actor,
            report={"older": older, "newer": newer},
        )
        event_record(
            code="list.version.diff_requested",
            actor=actor,
            target=job,
            summary=_("导出%(county)s%(year)s年清单第%(a)d版与第%(b)d版对比")
            % {"county": county.name, "year": year, "a": older, "b": newer},
        )
        transaction.on_commit(lambda: job_enqueue(export_version_diff, job.pk))
    return job
