"""A year's list for many enterprises at once (a province's first list, seeding, benchmarks):
the rules of ``entries.entry_build`` for a new entry (R-LIST-1, R-LIST-2, R-LIST-3, R-ELIG-4,
R-GUAR-4), written with ``bulk_create`` per batch of enterprises instead of a few queries per
enterprise. Enterprises that already have an entry for the year are left alone."""

from itertools import batched

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import AuditEvent
from emergency_list.models import AlertLevel, EntryMeasure, EntryProcess, ListEntry
from emergency_list.services.arithmetic import tonnes
from emergency_list.services.entries import (
    POLLUTANTS,
    baseline_of,
    cuts_apportion,
    enterprises_to_build,
    measure_for,
)
from emergency_list.services.measures import TemplateIndex
from emergency_list.services.processes import batch_weights, process_plans
from grading.models import Enterprise, Grade, Process
from grading.services.grades import enterprise_managed_grade


class _GradeCache:
    """``enterprise_managed_grade`` depends, for an enterprise without an overall grade, only on
    its main industry (the lowest grade of that industry's scheme, R-ELIG-4): computed once per
    industry instead of twice per enterprise."""

    def __init__(self) -> None:
        self.lowest: dict[int | None, Grade] = {}

    def managed(self, enterprise: Enterprise) -> Grade:
        if enterprise.overall_grade_id:
            return enterprise.overall_grade
        main = next((r for r in enterprise.industries.all() if r.is_main), None)
        key = main.industry_id if main else None
        if key not in self.lowest:
            self.lowest[key] = enterprise_managed_grade(enterprise)
        return self.lowest[key]


def entries_bulk_create(
    *, year: int, county_ids: list[int] | None = None, batch: int = 2000
) -> int:
    """Create the entries, controlled processes and measures of ``year`` for every enterprise
    (of ``county_ids`` if given) that has none yet; one transaction per batch. Returns the
    number of entries created. Each entry gets its ``list.entry.created`` event, as with
    ``entry_build``."""
    qs = Enterprise.objects.exclude(list_entries__year=year)
    if county_ids is not None:
        qs = qs.filter(county_id__in=county_ids)
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    index = TemplateIndex()
    grades = _GradeCache()
    content_type = ContentType.objects.get_for_model(ListEntry)
    created = 0
    for part in batched(ids, batch):
        created += _batch_create(year, part, index, grades, content_type)
    return created


@transaction.atomic
def _batch_create(year, ids, index: TemplateIndex, grades: _GradeCache, content_type) -> int:
    enterprises = list(enterprises_to_build().filter(pk__in=ids).order_by("pk"))
    processes: dict[int, list[Process]] = {}
    line_industry: dict[int, int | None] = {}
    # R-LIST-2: the air-emitting processes of the enterprise's lines, ordered as _processes.
    for ent_id, pid, industry_row in (
        Process.objects.filter(line__enterprise_id__in=ids, is_air_emitting=True)
        .order_by("line_id", "id")
        .values_list("line__enterprise_id", "id", "line__industry_id")
    ):
        processes.setdefault(ent_id, []).append(Process(pk=pid))
        line_industry[pid] = industry_row
    weights = batch_weights(list(ids))
    entries = []
    for ent in enterprises:
        base = baseline_of(ent)
        entry = ListEntry(
            year=year,
            enterprise=ent,
            county_id=ent.county_id,
            grade=grades.managed(ent),
            graded=ent.overall_grade_id is not None,
            responsible_person=ent.contact_person,
            contact_mobile=ent.contact_mobile,
        )
        for p in POLLUTANTS:
            setattr(entry, f"{p}_tpa", tonnes(base[p]))
        entries.append(entry)
    ListEntry.objects.bulk_create(entries, batch_size=1000)
    eps: list[EntryProcess] = []
    owners: list[tuple[ListEntry, Enterprise]] = []
    for entry, ent in zip(entries, enterprises, strict=True):
        plans = process_plans(
            enterprise=ent,
            processes=processes.get(ent.pk, []),
            fallback=entry.grade,
            index=index,
            line_industry=line_industry,
            weights=weights,
        )
        for plan in plans:
            ep = EntryProcess(
                entry=entry,
                process_id=plan.process.pk,
                industry_id=plan.industry_id,
                grade=plan.grade,
                emission_basis=plan.basis,
                **{f"{p}_tpa": plan.tpa[p] for p in POLLUTANTS},
            )
            eps.append(ep)
            owners.append((entry, ent))
    EntryProcess.objects.bulk_create(eps, batch_size=2000)
    measures = []
    main_ids: dict[int, int | None] = {}
    levels: dict[tuple[int, str], list] = {}
    for ep, (entry, ent) in zip(eps, owners, strict=True):
        if ent.pk not in main_ids:
            main = next((r for r in ent.industries.all() if r.is_main), None)
            main_ids[ent.pk] = main.industry_id if main else None
        for level in AlertLevel.values:
            m = measure_for(entry, ep, level, index, main_ids[ent.pk])
            measures.append(m)
            levels.setdefault((entry.pk, level), []).append((ep, m))
    for pairs in levels.values():
        cuts_apportion(pairs[0][0].entry.operating_days, pairs)
    EntryMeasure.objects.bulk_create(measures, batch_size=4000)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                code="list.entry.created",
                actor=None,
                content_type=content_type,
                object_id=str(entry.pk),
                summary=(
                    _("%(year)s年清单：%(ent)s（%(grade)s）")
                    % {"year": year, "ent": ent.name, "grade": entry.grade.name}
                )[:300],
            )
            for entry, ent in zip(entries, enterprises, strict=True)
        ],
        batch_size=2000,
    )
    return len(entries)
