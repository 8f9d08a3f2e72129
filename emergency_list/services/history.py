"""The history of a list entry (R-LIST-6): one write path for every change of an entry — the
page, the API, the Excel import, a rebuild after a grade change, a stricter measure, the
guarantee flag — that keeps what the entry was *before* the change as a revision, and only
when something changed; and the difference between any two versions of an entry.

Version numbers: ``ListEntry.revision`` is the entry's current version; ``EntryRevision`` with
``revision = n`` holds what version n was, written when version n + 1 replaced it."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from emergency_list.models import Action, AlertLevel, EntryRevision, ListEntry
from grading.models import User

POLLUTANTS = ("so2", "nox", "pm", "vocs")
POLLUTANT_LABELS = {"so2": "SO2", "nox": "NOx", "pm": "颗粒物", "vocs": "VOCs"}
SNAPSHOT_FLAGS = (
    "is_power_plant",
    "is_heating_boiler",
    "is_guarantee",
    "guarantee_scope",
    "bulk_transport",
    "transport_plan",
    "gate_system",
    "responsible_person",
    "contact_mobile",
    "operating_days",
    "note",
)


def _dec(value, places: str = "0.0001") -> str:
    try:
        return str(Decimal(value).quantize(Decimal(places)))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def entry_snapshot(entry: ListEntry) -> dict:
    """What the entry says, as plain JSON: grade, flags, baseline, processes and measures (with
    their cuts: a past alert's duties read them from here once the entry has changed).
    Numbers are fixed-point strings so that two readings of the same content are equal."""
    return {
        "grade": entry.grade.code,
        "grade_name": entry.grade.name,
        "graded": entry.graded,
        "flags": {f: getattr(entry, f) for f in SNAPSHOT_FLAGS},
        "baseline": {p: _dec(getattr(entry, f"{p}_tpa")) for p in POLLUTANTS},
        "processes": [
            {
                "process": ep.process_id,
                "name": ep.process.name,
                "line": ep.process.line.name,
                # R-GRADE-4: each process carries its industry's grade and measures.
                "industry": ep.industry_id,
                "grade": ep.grade.code if ep.grade_id else None,
                "basis": ep.emission_basis,
                "tpa": {p: _dec(getattr(ep, f"{p}_tpa")) for p in POLLUTANTS},
                "measures": {
                    m.level: {
                        "action": m.action,
                        "ratio": _dec(m.ratio_pct, "0.01"),
                        "override": m.is_override,
                        "transport": m.transport_rule,
                        "text": m.text,
                        "cut": {p: _dec(getattr(m, f"{p}_td")) for p in POLLUTANTS},
                    }
                    for m in sorted(ep.measures.all(), key=lambda m: m.level)
                },
            }
            for ep in entry.processes.select_related("process__line", "grade")
            .prefetch_related("measures")
            .order_by("process_id")
        ],
    }


def _current(pk: int) -> ListEntry:
    return ListEntry.objects.select_related("grade").get(pk=pk)


class _Unchanged(Exception):
    """Raised inside the savepoint to undo a write that changed nothing."""


@dataclass
class Revising:
    """What ``entry_revising`` found: whether the entry changed, and its version after."""

    changed: bool = False
    revision: int = 0


@contextmanager
def entry_revising(entry: ListEntry, *, actor: User | None, reason: str) -> Iterator[Revising]:
    """R-LIST-6: run the block's writes to ``entry`` (locked by the caller) and, if the entry
    now reads differently, keep what it was before as a revision and count the version up;
    if it reads the same, undo the block's writes (a savepoint), so that an unchanged rebuild
    leaves neither a revision nor new rows. ``entry.revision`` is set to the version after."""
    outcome = Revising(revision=entry.revision)
    before = entry_snapshot(_current(entry.pk))
    try:
        with transaction.atomic():
            yield outcome
            current = _current(entry.pk)
            if entry_snapshot(current) == before:
                raise _Unchanged
            EntryRevision.objects.create(
                entry_id=entry.pk,
                revision=current.revision,
                changed_by=actor if getattr(actor, "pk", None) else None,
                reason=reason[:300],
                snapshot=before,
            )
            ListEntry.objects.filter(pk=entry.pk).update(revision=F("revision") + 1)
            outcome.changed, outcome.revision = True, current.revision + 1
    except _Unchanged:
        outcome.changed, outcome.revision = False, _current(entry.pk).revision
    entry.revision = outcome.revision


# --- reading the history ---------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """One version of an entry: the current one, or a kept one with the change that ended it."""

    number: int
    current: bool
    replaced_at: object = None
    replaced_by: str = ""
    reason: str = ""


def entry_versions(entry: ListEntry) -> list[Version]:
    """The entry's versions, newest first: the current one, then each kept one."""
    kept = [
        Version(
            number=r.revision,
            current=False,
            replaced_at=r.changed_at,
            replaced_by=r.changed_by.display_name if r.changed_by else _("系统"),
            reason=r.reason,
        )
        for r in entry.revisions.select_related("changed_by").order_by("-revision", "-id")
    ]
    seen, unique = {entry.revision}, []
    for v in kept:  # older data may hold a number twice: the latest record of it stands
        if v.number not in seen:
            seen.add(v.number)
            unique.append(v)
    return [Version(number=entry.revision, current=True), *unique]


def version_snapshot(entry: ListEntry, number: int) -> dict | None:
    """What version ``number`` of the entry said; None when there is no such version."""
    if number == entry.revision:
        return entry_snapshot(_current(entry.pk))
    r = entry.revisions.filter(revision=number).order_by("-id").first()
    return r.snapshot if r else None


def _yes(value) -> str:
    return _("是") if value else _("否")


def _flag_text(field: str, value) -> str:
    if isinstance(value, bool):
        return _yes(value)
    return "" if value is None else str(value)


def _measure_text(m: dict | None) -> str:
    if not m:
        return ""
    try:
        label = str(Action(m.get("action")).label)
    except ValueError:
        label = str(m.get("action", ""))
    ratio = m.get("ratio")
    text = f"{label} {_dec(ratio, '0.01').rstrip('0').rstrip('.')}%" if ratio else label
    if m.get("override"):
        text += _("（县级加严）")
    if m.get("text"):
        text += f"：{m['text']}"
    return text


def _flatten(snapshot: dict) -> dict[str, tuple[str, str]]:
    """key → (label, value shown) of every part of a snapshot, in reading order."""
    out: dict[str, tuple[str, str]] = {}
    out["grade"] = (_("管控等级"), snapshot.get("grade_name") or snapshot.get("grade", ""))
    if "graded" in snapshot:
        out["graded"] = (_("已分级"), _yes(snapshot["graded"]))
    for field, value in (snapshot.get("flags") or {}).items():
        try:
            label = str(ListEntry._meta.get_field(field).verbose_name)
        except Exception:  # a field since removed keeps its name
            label = field
        out[f"flag.{field}"] = (label, _flag_text(field, value))
    for p, value in (snapshot.get("baseline") or {}).items():
        out[f"baseline.{p}"] = (
            _("基准排放 %(p)s（吨/年）") % {"p": POLLUTANT_LABELS.get(p, p)},
            _dec(value),
        )
    for ep in snapshot.get("processes") or []:
        name = ep.get("name", "")
        key = f"process.{ep.get('process')}"
        out[key] = (_("涉气工序"), name)
        for p, value in (ep.get("tpa") or {}).items():
            out[f"{key}.{p}"] = (
                _("%(process)s 排放 %(p)s（吨/年）")
                % {"process": name, "p": POLLUTANT_LABELS.get(p, p)},
                _dec(value),
            )
        for level in AlertLevel.values:
            m = (ep.get("measures") or {}).get(level)
            if m is not None:
                out[f"{key}.{level}"] = (
                    _("%(process)s %(level)s预警措施")
                    % {"process": name, "level": AlertLevel(level).label},
                    _measure_text(m),
                )
    return out


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def snapshot_diff(older: dict, newer: dict) -> list[Change]:
    """What differs between two snapshots, part by part (added and removed parts included)."""
    a, b = _flatten(older), _flatten(newer)
    keys = list(a) + [k for k in b if k not in a]
    changes = []
    for k in keys:
        before, after = a.get(k, ("", ""))[1], b.get(k, ("", ""))[1]
        if before != after:
            changes.append(Change(label=(b.get(k) or a.get(k))[0], before=before, after=after))
    return changes
