"""Where grading meets the list (R-GRADE-4, R-ELIG-4): each process takes the measures of its
own industry's grade; the enterprise is called by its worst grade; an industry without a grade
is managed at that industry's lowest grade. Page, API and the Excel export say the same."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from emergency_list.excel.layout import COL
from emergency_list.models import Action, AlertLevel, EntryMeasure, ListEntry
from emergency_list.services import entries as svc
from emergency_list.tests.excel_data import data_rows, export
from grading.models import Enterprise, Grade, Industry, Process, ProductionLine
from grading.services.grades import grade_record_add, industry_lowest_grade
from tests import factories

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
CASTING, COATING = "N06", "N39"


def casting_and_coating(name="铸造涂装有限公司") -> Enterprise:
    """An enterprise with a 铸造 line (熔化, 造型) and a 工业涂装 line (喷涂, 烘干)."""
    ent = factories.enterprise(
        industry=[CASTING, COATING],
        name=name,
        emissions=[
            {"so2_tpa": 6, "nox_tpa": 12, "pm_tpa": 30, "vocs_tpa": 0},
            {"so2_tpa": 0, "nox_tpa": 3, "pm_tpa": 3, "vocs_tpa": 18},
        ],
    )
    rows = {r.industry.code: r for r in ent.industries.select_related("industry")}
    for code, line_name, processes in (
        (CASTING, "铸造线", ("熔化", "造型")),
        (COATING, "涂装线", ("喷涂", "烘干")),
    ):
        line = ProductionLine.objects.create(enterprise=ent, industry=rows[code], name=line_name)
        for p in processes:
            Process.objects.create(line=line, name=p)
    return ent


def grade(ent, code, grade_code, actor):
    grade_record_add(
        actor=actor,
        enterprise=ent,
        industry=Industry.objects.get(code=code),
        grade=Grade.objects.get(code=grade_code),
        effective_from=date(YEAR, 1, 2),
        source="review",
    )


def red_actions(entry: ListEntry) -> dict[str, str]:
    return {
        m.entry_process.process.name: m.action
        for m in EntryMeasure.objects.filter(
            entry_process__entry=entry, level=AlertLevel.RED
        ).select_related("entry_process__process")
    }


def test_r_grade_4_each_process_gets_its_own_industry_measures(county_user, tmp_path):
    """The case tried: 铸造 decided A, 工业涂装 decided B. The enterprise is B on the list, its
    铸造 processes take A's measures and its coating processes B's, on the page, in the API
    and in the county's Excel export."""
    ent = casting_and_coating()
    grade(ent, CASTING, "A", county_user)
    grade(ent, COATING, "B", county_user)
    entry = svc.entry_build(year=YEAR, enterprise=ent, actor=county_user)
    assert entry.grade.code == "B" and entry.graded  # the worst names the enterprise

    by_process = {
        ep.process.name: (ep.industry.code, ep.grade.code)
        for ep in entry.processes.select_related("process", "industry", "grade")
    }
    assert by_process == {
        "熔化": (CASTING, "A"),
        "造型": (CASTING, "A"),
        "喷涂": (COATING, "B"),
        "烘干": (COATING, "B"),
    }
    red = red_actions(entry)
    assert red["熔化"] == red["造型"] == Action.AUTONOMOUS
    assert red["喷涂"] == red["烘干"] == Action.STOP

    # The API
    api = APIClient()
    api.force_authenticate(county_user)
    body = api.get(f"/api/v1/list/entries/{entry.pk}/").json()
    assert body["grade"] == "B"
    red_of = {
        p["name"]: next(m for m in p["measures"] if m["level"] == "red") for p in body["processes"]
    }
    api_red = {
        p["name"]: (p["industry"], p["grade"], red_of[p["name"]]["action"])
        for p in body["processes"]
    }
    assert api_red == {
        "熔化": (CASTING, "A", Action.AUTONOMOUS),
        "造型": (CASTING, "A", Action.AUTONOMOUS),
        "喷涂": (COATING, "B", Action.STOP),
        "烘干": (COATING, "B", Action.STOP),
    }

    # The page
    page = Client()
    page.force_login(county_user)
    html = page.get(f"/list/entries/{entry.pk}/").content.decode()
    assert html.count('data-process-grade="A"') == 2 and html.count('data-process-grade="B"') == 2

    # The Excel export of the county
    path, _result = export(tmp_path)
    rows = [r for r in data_rows(path) if r[COL["process"]] in red]
    actions = {r[COL["process"]]: r[COL["red_action"]] for r in rows}
    assert actions == {
        "熔化": str(Action.AUTONOMOUS.label),
        "造型": str(Action.AUTONOMOUS.label),
        "喷涂": str(Action.STOP.label),
        "烘干": str(Action.STOP.label),
    }
    assert {r[COL["process"]]: r[COL["process_grade"]] for r in rows} == {
        "熔化": "A级",
        "造型": "A级",
        "喷涂": "B级",
        "烘干": "B级",
    }


def test_r_grade_4_a_grade_change_of_one_industry_moves_only_its_processes(county_user):
    ent = casting_and_coating()
    grade(ent, CASTING, "A", county_user)
    grade(ent, COATING, "B", county_user)
    entry = svc.entry_build(year=YEAR, enterprise=ent, actor=county_user)
    grade(ent, COATING, "A", county_user)  # the list follows the grade (R-LIST-6)
    entry.refresh_from_db()
    assert entry.grade.code == "A"
    assert set(red_actions(entry).values()) == {Action.AUTONOMOUS}


def test_r_elig_4_an_industry_without_a_grade_is_managed_at_its_lowest(county_user):
    """铸造 decided A; 工业涂装 never graded: the coating processes are managed at the lowest
    grade of 工业涂装's scheme, and the enterprise is called by that worst grade."""
    ent = casting_and_coating()
    grade(ent, CASTING, "A", county_user)
    entry = svc.entry_build(year=YEAR, enterprise=ent, actor=county_user)
    lowest = industry_lowest_grade(Industry.objects.get(code=COATING))
    grades = {ep.process.name: ep.grade_id for ep in entry.processes.select_related("process")}
    assert grades["喷涂"] == grades["烘干"] == lowest.pk
    assert grades["熔化"] == Grade.objects.get(code="A").pk
    assert entry.grade == lowest
    red = red_actions(entry)
    assert red["熔化"] == Action.AUTONOMOUS and red["喷涂"] == Action.STOP


def test_r_elig_4_an_ungraded_enterprise_is_managed_at_each_industry_lowest(county_user):
    ent = casting_and_coating()
    entry = svc.entry_build(year=YEAR, enterprise=ent, actor=county_user)
    assert not entry.graded
    for ep in entry.processes.select_related("industry"):
        assert ep.grade == industry_lowest_grade(ep.industry)
    assert Decimal(0) < sum(ep.pm_tpa for ep in entry.processes.all())
