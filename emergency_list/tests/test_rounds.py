"""R-LIST-6 adjustment rounds: the year's windows as data, the county's worklist of what changed
since its last version, publishing versions, and the difference between two versions on the
page, in the API and as an Excel file written by the worker and reopened here."""

import datetime
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from declarations.models import Declaration
from declarations.signals import guarantee_removed
from emergency_list.models import ExcelJob, ListWindow
from emergency_list.services import rounds
from emergency_list.services.entries import entry_build, entry_update, list_generate
from emergency_list.tasks import versions as version_tasks
from grading.models import Enterprise, Grade, GradeRecord, Industry, Region
from grading.services.grades import grade_record_add
from tests import factories
from tests.declaration_builders import ensure_lines

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
EMISSIONS = [{"so2_tpa": 3, "nox_tpa": 6, "pm_tpa": 1.5, "vocs_tpa": 9}]


@pytest.fixture(autouse=True)
def _worker_inline(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    task = version_tasks.export_version_diff
    monkeypatch.setattr(task, "delay", task)


def _ent(name, county="410184"):
    ent = factories.enterprise(county=county, industry="N31", name=name, emissions=EMISSIONS)
    ensure_lines(ent)
    return ent


def _grade(ent, code):
    grade_record_add(
        actor=None,
        enterprise=ent,
        industry=Industry.objects.get(code="N31"),
        grade=Grade.objects.get(code=code),
        effective_from=timezone.localdate(),
        source=GradeRecord.Source.REVIEW,
    )


def test_r_list_6_windows_are_the_seeds_dates_unless_set():
    windows = rounds.list_windows(2026)
    assert [(w.kind, w.due_on) for w in windows] == [
        (ListWindow.Kind.REVISION, datetime.date(2026, 9, 30)),
        (ListWindow.Kind.ADJUSTMENT, datetime.date(2026, 11, 15)),
        (ListWindow.Kind.YEAR_END, datetime.date(2026, 12, 31)),
    ]
    ListWindow.objects.create(year=2026, kind="adjustment", due_on=datetime.date(2026, 11, 20))
    assert rounds.window_current(2026, datetime.date(2026, 10, 1)).due_on.day == 20
    assert rounds.window_current(2026, datetime.date(2026, 12, 1)).kind == "year_end"


def test_r_list_6_version_diff_exported_to_excel_names_every_change(
    county_user, django_capture_on_commit_callbacks
):
    county = Region.objects.get(code="410184")
    regraded, stopping, keeper, leaving = (
        _ent("调级印务有限公司"),
        _ent("停产印务有限公司"),
        _ent("保障印务有限公司"),
        _ent("撤保印务有限公司"),
    )
    list_generate(actor=county_user, county=county, year=YEAR)
    entry_update(
        actor=county_user,
        entry=leaving.list_entries.get(),
        data={"is_guarantee": True, "guarantee_scope": "民生保障"},
    )
    first = rounds.list_version_publish(actor=county_user, county=county, year=YEAR)
    assert first.number == 1 and len(first.entries) == 4
    assert rounds.round_worklist(county, YEAR) == []  # kept in the cache until the list changes
    with pytest.raises(ValidationError):  # nothing changed since
        rounds.list_version_publish(actor=county_user, county=county, year=YEAR)

    # The round: one new enterprise, one stopped, one regraded, guarantee added and removed.
    newcomer = _ent("新建印务有限公司")
    entry_build(year=YEAR, enterprise=newcomer)
    stopping.production_status = Enterprise.ProductionStatus.STOPPED
    stopping.save()
    _grade(regraded, "B")
    entry_update(
        actor=county_user,
        entry=keeper.list_entries.get(),
        data={"is_guarantee": True, "guarantee_scope": "城市运行保障"},
    )
    guarantee_removed.send(
        sender=Declaration,
        enterprise=leaving,
        reason="超出保障任务范围",
        on=datetime.date(YEAR, 1, 1),
        actor=county_user,
    )
    worklist = {(c.enterprise, c.kind) for c in rounds.round_worklist(county, YEAR)}
    expected = {
        ("新建印务有限公司", "new"),
        ("停产印务有限公司", "stopped"),
        ("调级印务有限公司", "regraded"),
        ("保障印务有限公司", "guarantee_added"),
        ("撤保印务有限公司", "guarantee_removed"),
    }
    assert expected <= worklist
    second = rounds.list_version_publish(actor=county_user, county=county, year=YEAR, note="调整")
    assert second.number == 2 and rounds.round_worklist(county, YEAR) == []

    with django_capture_on_commit_callbacks(execute=True):
        job = rounds.diff_export_request(
            actor=county_user, county=county, year=YEAR, older=1, newer=2
        )
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.READY, job.error
    ws = load_workbook(Path(default_storage.path(job.file.name))).active
    rows = [[c for c in r] for r in ws.iter_rows(min_row=3, values_only=True)]
    found = {(r[1], r[3]) for r in rows}
    for name, kind in expected:
        assert (name, rounds.change_label(kind)) in found
    assert ws.cell(2, 5).value == "调整前（第1版）" and "第1版与第2版" in ws.cell(1, 1).value
    regrade = next(r for r in rows if r[1] == "调级印务有限公司" and r[3] == "等级调整")
    assert regrade[4] != regrade[5]
    # no other county's enterprise, and the same changes from the page and the API
    assert not any("中牟" in (r[1] or "") for r in rows)
    client = Client()
    client.force_login(county_user)
    page = client.get("/list/rounds/", {"scope": "410184", "year": YEAR, "older": 1, "newer": 2})
    text = page.content.decode()
    assert all(name in text for name, _kind in expected) and "清单修订" in text
    api = APIClient()
    api.force_authenticate(county_user)
    body = api.get(
        "/api/v1/list/versions/diff/", {"county": "410184", "year": YEAR, "older": 1, "newer": 2}
    ).json()
    assert {(c["enterprise"], c["kind"]) for c in body["changes"]} >= expected


def test_r_list_6_rounds_within_reach(county_user, other_county_user):
    county = Region.objects.get(code="410184")
    entry_build(year=YEAR, enterprise=_ent("辖区印务有限公司"))
    with pytest.raises(PermissionDenied):
        rounds.list_version_publish(actor=other_county_user, county=county, year=YEAR)
    client = Client()
    client.force_login(other_county_user)
    assert client.get("/list/rounds/", {"scope": "410184"}).status_code == 404
    api = APIClient()
    api.force_authenticate(other_county_user)
    assert api.get("/api/v1/list/versions/", {"county": "410184"}).status_code == 404
    api.force_authenticate(county_user)
    body = api.get("/api/v1/list/versions/", {"county": "410184", "year": YEAR}).json()
    assert [c["kind"] for c in body["worklist"]] == ["new"] and body["versions"] == []
    assert (
        api.post("/api/v1/list/versions/publish/", {"county": "410184", "year": YEAR}).status_code
        == 201
    )
    assert (
        api.get(
            "/api/v1/list/versions/diff/", {"county": "410184", "year": YEAR, "older": 5}
        ).status_code
        == 400
    )


def test_r_list_6_county_inbox_lists_the_worklist_before_a_window_is_due(county_user):
    ent = _ent("待调整印务有限公司")
    with time_machine.travel(datetime.datetime(2026, 9, 10, 9, 0)):
        entry_build(year=2026, enterprise=ent)
        client = Client()
        client.force_login(county_user)
        page = client.get("/inbox/").content.decode()
        assert "清单修订调整（清单修订，2026-09-30截止）" in page
        assert "待调整印务有限公司" in page and "/list/rounds/?scope=410184&amp;year=2026" in page
        rounds.list_version_publish(actor=county_user, county=ent.county, year=2026)
        assert "清单修订调整（" not in client.get("/inbox/").content.decode()
    with time_machine.travel(datetime.datetime(2026, 6, 1, 9, 0)):
        ent.production_status = Enterprise.ProductionStatus.STOPPED
        ent.save()
        assert "清单修订调整（" not in client.get("/inbox/").content.decode()
