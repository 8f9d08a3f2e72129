"""Bulk creation of a year's list gives what entry_build gives, enterprise by enterprise."""

import pytest
from django.utils import timezone

from core.models import AuditEvent
from emergency_list.models import EntryMeasure, EntryProcess, ListEntry
from emergency_list.services.bulk import entries_bulk_create
from emergency_list.services.entries import POLLUTANTS, entry_build
from emergency_list.tests.excel_data import add_lines, record_grade
from grading.models import Enterprise, Industry, Region
from grading.services.enterprises import IndustryEntry, enterprise_update
from tests import factories

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def _kinds() -> list[Enterprise]:
    actor = factories.admin_user()
    made = []

    def ent(industry, emissions, lines, grade=None, **fields):
        e = factories.enterprise(
            county="410184", industry=industry, emissions=[emissions], **fields
        )
        add_lines(actor, e, lines)
        if grade:
            record_grade(actor, e, industry, grade)
        made.append(e)
        return e

    ent(
        "N15",
        {"so2_tpa": "40.001", "nox_tpa": "7", "pm_tpa": "3.333"},
        {"1线": ["a", "b", "c"]},
        "C",
    )
    ent("N15", {"so2_tpa": "10"}, {"1线": ["a"], "2线": ["b"]}, "B")
    ent("N31", {"vocs_tpa": "18.5"}, {"1线": ["印刷", "烘干"]})  # ungraded: lowest of its scheme
    ent("GENERAL", {"vocs_tpa": "2"}, {"1线": ["喷涂"]}, is_small_micro=True)  # exempt
    ent("HN01", {"pm_tpa": "5"}, {"1线": ["搅拌"]})  # 引领性 scheme, ungraded
    ent("N06", {"pm_tpa": "1"}, {}, "D")  # no air processes
    two = ent("N06", {"so2_tpa": "2", "pm_tpa": "9"}, {"1线": ["熔炼", "浇注"]}, "B")
    enterprise_update(  # a second industry: its emissions join the baseline (R-GRADE-4)
        actor=actor,
        enterprise=two,
        data={},
        industries=[
            IndustryEntry(industry=Industry.objects.get(code="N06"), so2_tpa=2, pm_tpa=9),
            IndustryEntry(industry=Industry.objects.get(code="N31"), vocs_tpa=4),
        ],
    )
    return made


def _content(entry: ListEntry) -> tuple:
    head = (
        entry.county_id,
        entry.grade_id,
        entry.graded,
        entry.responsible_person,
        entry.contact_mobile,
        entry.operating_days,
        tuple(getattr(entry, f"{p}_tpa") for p in POLLUTANTS),
    )
    processes = tuple(
        (ep.process_id, tuple(getattr(ep, f"{p}_tpa") for p in POLLUTANTS))
        for ep in EntryProcess.objects.filter(entry=entry).order_by("id")
    )
    measures = tuple(
        (
            m.entry_process.process_id,
            m.level,
            m.action,
            m.ratio_pct,
            m.transport_rule,
            m.text,
            m.template_id,
            m.is_override,
            tuple(getattr(m, f"{p}_td") for p in POLLUTANTS),
        )
        for m in EntryMeasure.objects.filter(entry_process__entry=entry)
        .select_related("entry_process")
        .order_by("entry_process_id", "level")
    )
    return head, processes, measures


def test_bulk_create_equals_entry_build_for_the_same_enterprise():
    made = _kinds()
    for e in made:
        entry_build(year=YEAR, enterprise=e)
    assert entries_bulk_create(year=YEAR + 1, batch=3) == len(made)
    for e in made:
        built = ListEntry.objects.get(year=YEAR, enterprise=e)
        bulk = ListEntry.objects.get(year=YEAR + 1, enterprise=e)
        assert _content(bulk) == _content(built), e.name
    assert EntryMeasure.objects.filter(entry_process__entry__year=YEAR + 1).count() == 3 * (
        EntryProcess.objects.filter(entry__year=YEAR + 1).count()
    )
    assert {m.action for m in EntryMeasure.objects.filter(entry_process__entry__year=YEAR + 1)} >= {
        "stop",
        "transport_only",
        "limit",
    }


def test_bulk_create_skips_existing_entries_and_keeps_to_the_counties():
    made = _kinds()
    elsewhere = factories.enterprise(county="410122", industry="N31")
    entry_build(year=YEAR, enterprise=made[0])
    county = Region.objects.get(code="410184")
    assert entries_bulk_create(year=YEAR, county_ids=[county.pk]) == len(made) - 1
    assert entries_bulk_create(year=YEAR, county_ids=[county.pk]) == 0
    assert not ListEntry.objects.filter(enterprise=elsewhere).exists()
    assert ListEntry.objects.filter(year=YEAR).count() == len(made)
    assert AuditEvent.objects.filter(code="list.entry.created").count() == len(made)
