"""The public check page of a signboard or 一厂一策 plan (R-LIST-4, R-PUB-1), reached by the QR
code printed on it: the enterprise's current grade and measures per alert level with the list
version, and whether the printed version is still current (if not, what changed). No contact
data; for a confidential enterprise (R-DECL-5) only whether the document is current."""

from dataclasses import dataclass, field

from django.http import Http404

from emergency_list.models import PRINT_ORDER, AlertLevel, CountyListVersion, ListEntry
from emergency_list.services.documents import measure_short
from emergency_list.services.history import snapshot_diff, version_snapshot
from publication.selectors.public import publishable_enterprises

#: Parts of an entry the public never reads, even as a change.
PRIVATE_FLAGS = ("responsible_person", "contact_mobile", "note", "transport_plan")


@dataclass
class PublicSignboard:
    printed: int
    current: bool
    confidential: bool
    revision: int = 0
    year: int = 0
    newer_year: int | None = None
    name: str = ""
    county: str = ""
    grade: str = ""
    graded: bool = True
    list_version: int | None = None
    levels: list[dict] = field(default_factory=list)
    changes: list = field(default_factory=list)


def _public(snapshot: dict) -> dict:
    flags = {k: v for k, v in (snapshot.get("flags") or {}).items() if k not in PRIVATE_FLAGS}
    return {**snapshot, "flags": flags}


def _levels(entry: ListEntry) -> list[dict]:
    eps = list(entry.processes.select_related("process").prefetch_related("measures"))
    out = []
    for level in PRINT_ORDER:
        rows = []
        for ep in eps:
            m = next((m for m in ep.measures.all() if m.level == level), None)
            if m is not None:
                rows.append(
                    {
                        "process": ep.process.name,
                        "short": measure_short(m.action, m.ratio_pct),
                        "text": m.text,
                    }
                )
        out.append({"code": level, "label": AlertLevel(level).label, "rows": rows})
    return out


def public_signboard_get(*, key: str, revision: int) -> PublicSignboard:
    """What the QR code of version ``revision`` of the entry with public key ``key`` shows; an
    unknown key or a version the entry never had is a 404."""
    entry = (
        ListEntry.objects.filter(public_key=key)
        .exclude(public_key="")
        .select_related("enterprise", "county", "grade")
        .first()
    )
    if entry is None or not 1 <= revision <= entry.revision:
        raise Http404
    newer_year = (
        ListEntry.objects.filter(enterprise_id=entry.enterprise_id, year__gt=entry.year)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    current = revision == entry.revision and newer_year is None
    confidential = not publishable_enterprises().filter(pk=entry.enterprise_id).exists()
    board = PublicSignboard(printed=revision, current=current, confidential=confidential)
    if confidential:
        return board
    version = (
        CountyListVersion.objects.filter(county=entry.county, year=entry.year)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    board.revision, board.year, board.newer_year = entry.revision, entry.year, newer_year
    board.name, board.county = entry.enterprise.name, entry.county.name
    board.grade, board.graded = entry.grade.name, entry.graded
    board.list_version = version
    board.levels = _levels(entry)
    if revision != entry.revision:
        before = version_snapshot(entry, revision)
        now = version_snapshot(entry, entry.revision)
        if before is not None and now is not None:
            board.changes = snapshot_diff(_public(before), _public(now))
    return board
