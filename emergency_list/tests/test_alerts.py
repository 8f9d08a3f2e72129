"""Alert simulation: duties per enterprise, totals per county against the required share, and
the record of a past alert (R-LIST-3, R-LIST-7, R-LIST-8, R-GUAR-4)."""

import copy
import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from core.models import AuditEvent
from emergency_list.excel.alerts import alert_export
from emergency_list.models import (
    Action,
    Alert,
    AlertDuty,
    AlertDutyProcess,
    AlertLevel,
    ListEntry,
    TransportRule,
)
from emergency_list.selectors import alert_duty_dicts
from emergency_list.services import alerts as alert_service
from emergency_list.services.alerts import alert_call
from emergency_list.services.charts import alert_chart_svg, ratio_chart_svg
from emergency_list.services.entries import entry_build, entry_update
from emergency_list.services.ratios import ratio_check
from grading.models import Grade, GradeRecord, Industry, Region, User
from grading.services.grades import grade_record_add
from tests import factories
from tests.declaration_builders import ensure_lines

pytestmark = pytest.mark.django_db

# entries_follow_grade refreshes the entries of this year and later
YEAR = timezone.localdate().year
START = datetime.date(YEAR, 1, 10)
EMISSIONS = {"so2_tpa": 30, "nox_tpa": 50, "pm_tpa": 20, "vocs_tpa": 10}


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def listed(county: str, grade: str | None, *, industry: str = "N31", name: str | None = None):
    ent = factories.enterprise(county=county, industry=industry, name=name, emissions=[EMISSIONS])
    ensure_lines(ent)
    if grade:
        grade_record_add(
            actor=None,
            enterprise=ent,
            industry=Industry.objects.get(code=industry),
            grade=Grade.objects.get(code=grade),
            effective_from=timezone.localdate(),
            source=GradeRecord.Source.INITIAL,
        )
    return entry_build(year=YEAR, enterprise=ent)


@pytest.fixture
def world(province_user):
    """郑州: 新郑市 with A/B/C/D, a guarantee-class and a power-plant entry (cuts enough);
    中牟县 with an A-grade enterprise only (cuts nothing: shortfall).
    洛阳: 洛龙区, cement C and D."""
    w = {
        "D": listed("410184", "D", name="新郑甲D级企业"),
        "C": listed("410184", "C", name="新郑乙C级企业"),
        "B": listed("410184", "B", name="新郑丙B级企业"),
        "A": listed("410184", "A", name="新郑丁A级企业"),
        "guarantee": listed("410184", "D", name="新郑戊医用物资企业"),
        "power": listed("410184", "D", name="新郑己热电厂"),
        "zm_A": listed("410122", "A", name="中牟A级企业"),
        "ly_C": listed("410311", "C", industry="N15", name="洛阳水泥C级企业"),
        "ly_D": listed("410311", "D", industry="N15", name="洛阳水泥D级企业"),
    }
    w["guarantee"] = entry_update(
        actor=province_user,
        entry=w["guarantee"],
        data={"is_guarantee": True, "guarantee_scope": "医用物资保障"},
    )
    w["power"] = entry_update(actor=province_user, entry=w["power"], data={"is_power_plant": True})
    return w


@pytest.fixture(autouse=True)
def _worker_in_process(settings):
    """The alert's job runs in-process when the call commits (the worker, without Redis)."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    yield
    app.conf.task_always_eager = previous


def call(actor, level=AlertLevel.RED, cities=("410100", "410300"), **kw) -> Alert:
    """Call an alert and wait for its job, as the user does."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        alert = alert_call(
            actor=actor,
            level=level,
            cities=[region(c) for c in cities],
            start_on=kw.pop("start_on", START),
            end_on=kw.pop("end_on", START + datetime.timedelta(days=3)),
            year=YEAR,
            **kw,
        )
    alert.refresh_from_db()
    assert alert.status == Alert.Status.READY, alert.error
    return alert


def duty_list(alert: Alert) -> list[dict]:
    return alert_duty_dicts(list(alert.duties.order_by("position")))


def duty_of(alert: Alert, entry: ListEntry) -> dict:
    return next(d for d in duty_list(alert) if d["entry"] == entry.pk)


def county_of(alert: Alert, code: str) -> dict:
    return next(c for c in alert.results["counties"] if c["code"] == code)


def test_r_list_7_alert_totals_per_county_against_required_ratio(world, province_user):
    alert = call(province_user)
    res = alert.results
    assert {c["code"] for c in res["counties"]} >= {"410184", "410122", "410311"}
    for c in res["counties"]:
        expected = ratio_check(scope=region(c["code"]), year=YEAR)[AlertLevel.RED]
        got = {r["pollutant"]: r for r in c["pollutants"]}
        for r in expected:
            row = got[r.pollutant]
            assert Decimal(row["baseline_td"]) == r.baseline_td
            assert Decimal(row["cut_td"]) == r.cut_td
            assert Decimal(row["required_pct"]) == r.required_pct
            assert Decimal(row["achieved_pct"]) == r.achieved_pct
            assert Decimal(row["shortfall_td"]) == r.shortfall_td
            assert row["ok"] == r.ok
    xinzheng, zhongmou = county_of(alert, "410184"), county_of(alert, "410122")
    assert xinzheng["ok"] and Decimal(xinzheng["pollutants"][0]["achieved_pct"]) == Decimal(50)
    assert xinzheng["list_version"]["entries"] == 6
    # 中牟 has an A-grade enterprise only: no cut at all, short of 30% on every pollutant
    assert not zhongmou["ok"]
    short = [s for s in res["shortfalls"] if s["county_code"] == "410122"]
    assert {s["label"] for s in short} == {"SO2", "NOx", "颗粒物", "VOCs"}
    so2 = next(s for s in short if s["pollutant"] == "so2")
    assert Decimal(so2["shortfall_td"]) == Decimal("0.0300")  # 30% of 30 t/a over 300 days
    assert all(s["county_code"] != "410184" for s in res["shortfalls"])
    # per city and overall, the sums of the counties
    zz = next(c for c in res["cities"] if c["code"] == "410100")
    zz_so2 = next(r for r in zz["pollutants"] if r["pollutant"] == "so2")
    counties = [c for c in res["counties"] if c["city_id"] == zz["id"]]
    assert Decimal(zz_so2["cut_td"]) == sum(Decimal(c["pollutants"][0]["cut_td"]) for c in counties)
    overall_so2 = res["overall"]["pollutants"][0]
    assert Decimal(overall_so2["baseline_td"]) == Decimal("0.9000")  # 9 enterprises × 0.1 t/d
    assert res["overall"]["counties_short"] == 1
    event = AuditEvent.objects.get(code="list.alert.called", object_id=str(alert.pk))
    assert event.data["counties_short"] == 1
    assert event.data["overall"]["so2"]["cut_td"] == overall_so2["cut_td"]


def test_r_guar_4_guarantee_tasks_exempt_within_scope(world, province_user):
    alert = call(province_user)
    duty = duty_of(alert, world["guarantee"])
    assert duty["exempt"] == "guarantee"
    assert duty["guarantee_scope"] == "医用物资保障"
    assert "医用物资保障" in duty["exempt_text"]
    assert all(Decimal(v) == 0 for v in duty["cut"].values())
    (process,) = duty["processes"]
    assert process["action"] == Action.TRANSPORT_ONLY
    assert "医用物资保障" in process["text"]
    # the same grade without the guarantee task stops
    assert duty_of(alert, world["D"])["processes"][0]["action"] == Action.STOP
    assert alert.results["exempt"]["guarantee"] == 1


def test_r_list_3_power_plant_listed_not_forced_to_stop(world, province_user):
    alert = call(province_user)
    duty = duty_of(alert, world["power"])
    assert duty["flags"]["power_plant"] and duty["exempt"] == "power_plant"
    (process,) = duty["processes"]
    assert process["action"] == Action.TRANSPORT_ONLY
    assert all(Decimal(v) == 0 for v in process["cut"].values())
    assert process["transport_rule"] == TransportRule.STOP_ROAD  # transport controls still apply


def test_r_list_8_measures_by_level_are_cumulative(world, province_user):
    red = call(province_user, AlertLevel.RED)
    assert duty_of(red, world["D"])["processes"][0]["action"] == Action.STOP
    # C: the template "from orange" applies at red too
    assert duty_of(red, world["C"])["processes"][0]["action"] == Action.STOP
    assert duty_of(red, world["ly_C"])["processes"][0]["action"] == Action.STOP
    assert duty_of(red, world["A"])["processes"][0]["action"] == Action.AUTONOMOUS
    yellow = call(province_user, AlertLevel.YELLOW)
    b = duty_of(yellow, world["B"])
    assert b["processes"][0]["action"] == Action.TRANSPORT_ONLY
    assert b["transport_rule"] == TransportRule.BAN_HEAVY_LE_CN4
    assert all(Decimal(v) == 0 for v in b["cut"].values())
    assert duty_of(yellow, world["D"])["processes"][0]["action"] == Action.STOP


def test_city_user_cannot_call_an_alert_for_another_city(world, city_user, county_user):
    with pytest.raises(PermissionDenied, match="本市"):
        call(city_user, cities=("410100", "410300"))
    with pytest.raises(PermissionDenied):
        call(county_user, cities=("410100",))
    assert not Alert.objects.exists()
    alert = call(city_user, cities=("410100",))
    assert {c["code"] for c in alert.results["cities"]} == {"410100"}


def test_alert_call_refuses_bad_input_and_takes_jiyuan(world, province_user):
    with pytest.raises(ValidationError):
        call(province_user, end_on=START + datetime.timedelta(days=30))  # 31 days
    with pytest.raises(ValidationError):
        call(province_user, end_on=START - datetime.timedelta(days=1))
    with pytest.raises(ValidationError):
        call(province_user, cities=("410184",))  # a county
    with pytest.raises(ValidationError):
        call(province_user, level="blue")
    jy = listed("419001", "D", name="济源D级企业")
    alert = call(province_user, cities=("419001",), end_on=START + datetime.timedelta(days=29))
    (county,) = alert.results["counties"]
    assert county["code"] == "419001" and county["ok"]
    assert duty_of(alert, jy)["county"] == "济源市"


def test_past_alert_keeps_its_results_and_list_revision(world, province_user):
    first = call(province_user, cities=("410100",))
    before = copy.deepcopy(first.results)
    version_before = county_of(first, "410184")["list_version"]
    duty_before = duty_of(first, world["C"])
    assert duty_before["processes"] and duty_before["processes"][0]["action"] != ""
    grade_record_add(
        actor=province_user,
        enterprise=world["C"].enterprise,
        industry=Industry.objects.get(code="N31"),
        grade=Grade.objects.get(code="A"),
        effective_from=timezone.localdate(),
        source=GradeRecord.Source.SPOT_CHECK,
    )
    assert ListEntry.objects.get(pk=world["C"].pk).grade.code == "A"  # the list followed
    first.refresh_from_db()
    assert first.results == before
    assert duty_of(first, world["C"])["grade"] == "C"
    second = call(province_user, cities=("410100",))
    version_after = county_of(second, "410184")["list_version"]
    assert version_after["revisions"] == version_before["revisions"] + 1
    assert duty_of(second, world["C"])["processes"][0]["action"] == Action.AUTONOMOUS
    cut = lambda a: Decimal(county_of(a, "410184")["pollutants"][0]["cut_td"])  # noqa: E731
    assert cut(second) < cut(first)
    # the record's duties stay as they were, the new alert's follow the list: the first alert's
    # measures are read from the version the entry had (kept when the grade replaced it)
    assert duty_of(first, world["C"]) == duty_before
    assert ListEntry.objects.get(pk=world["C"].pk).revision == duty_before["revision"] + 1
    assert duty_of(second, world["C"])["grade"] == "A"
    assert duty_of(second, world["C"])["processes"] != duty_before["processes"]


def test_a_duty_read_while_its_entry_changes_shows_the_alerts_version(
    world, province_user, monkeypatch
):
    """The entry gets a new version between the reads of a duty's revision and of its measures:
    the duty still shows what the alert saw (read again from the kept version)."""
    from emergency_list import duties as duty_reads

    alert = call(province_user, cities=("410100",))
    before = duty_of(alert, world["C"])
    real = duty_reads.EntryMeasure

    class Racing:
        class objects:
            @staticmethod
            def filter(*args, **kwargs):
                monkeypatch.setattr(duty_reads, "EntryMeasure", real)
                grade_record_add(
                    actor=province_user,
                    enterprise=world["C"].enterprise,
                    industry=Industry.objects.get(code="N31"),
                    grade=Grade.objects.get(code="A"),
                    effective_from=timezone.localdate(),
                    source=GradeRecord.Source.SPOT_CHECK,
                )
                return real.objects.filter(*args, **kwargs)

    monkeypatch.setattr(duty_reads, "EntryMeasure", Racing)
    assert duty_of(alert, world["C"]) == before
    assert ListEntry.objects.get(pk=world["C"].pk).revision == before["revision"] + 1


def test_an_alert_of_copied_process_rows_reads_them(world, province_user):
    """Alerts computed before duties read their measures from the list's versions (schema 2)
    keep the process rows copied for them, and are read from those."""
    alert = call(province_user, cities=("410100",))
    duty = duty_of(alert, world["C"])
    alert.results["schema"] = 2
    alert.save(update_fields=["results"])
    AlertDutyProcess.objects.create(
        alert=alert,
        entry_id=world["C"].pk,
        entry_process_id=1,
        process_id=duty["processes"][0]["process"],
        name="复制的工序",
        line_name="复制的生产线",
        action=Action.STOP,
        ratio_pct=Decimal("100"),
        text="停产",
        transport_rule="none",
        so2_td=Decimal("1.2345"),
        nox_td=0,
        pm_td=0,
        vocs_td=0,
    )
    copied = duty_of(alert, world["C"])["processes"]
    assert [(p["name"], p["line"], p["action"], p["cut"]["so2"]) for p in copied] == [
        ("复制的工序", "复制的生产线", Action.STOP, "1.2345")
    ]


def test_every_duty_is_stored_as_rows_in_county_order(world, province_user, tmp_path):
    alert = call(province_user)
    assert alert.entries == 9 and alert.exempt_guarantee == 1 and alert.exempt_power_plant == 1
    assert "duties" not in alert.results
    rows = duty_list(alert)
    assert len(rows) == 9
    assert [d["county_code"] for d in rows] == sorted(d["county_code"] for d in rows)
    assert [d["entry"] for d in rows if d["county_code"] == "410311"] == [
        world["ly_C"].pk,
        world["ly_D"].pk,
    ]
    wb = load_workbook(alert_export(alert, tmp_path / "big.xlsx"))
    assert wb["企业责任"].max_row == 2 + 9


def test_export_workbook_sheets_and_formula_text(world, province_user, tmp_path):
    trap = listed("410184", "D", name='=HYPERLINK("http://x.invalid","点此")')
    alert = call(province_user)
    path = alert_export(alert, tmp_path / "alert.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[:2] == ["汇总", "企业责任"]
    summary = wb["汇总"]
    assert summary.freeze_panes == "C3"
    assert summary["A1"].value == "省辖市" and summary["F2"].value == "基准排放量（吨/日）"
    rows = list(summary.iter_rows(min_row=3, values_only=True))
    zm = next(r for r in rows if r[1] == "中牟县")
    assert zm[-1].startswith("未达到")
    duties = wb["企业责任"]
    names = {c.value: c for c in duties["D"][2:]}
    cell = names[trap.enterprise.name]
    assert cell.data_type == "s" and cell.value.startswith("=")
    assert len(names) == len(duty_list(alert))


def test_chart_svg_is_well_formed_and_names_counties(world, province_user):
    alert = call(province_user)
    svg = alert_chart_svg(alert)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("width") == "900"
    text = "".join(root.itertext())
    for name in ("新郑市", "中牟县", "洛龙区"):
        assert name in text
    single = ratio_chart_svg(
        ratio_check(scope=region("410184"), year=YEAR)[AlertLevel.ORANGE], "新郑市 <橙色> & 要求"
    )
    assert "新郑市 &lt;橙色&gt; &amp; 要求" in single
    ET.fromstring(single)


def test_enterprise_user_cannot_call_an_alert(world, enterprise_user):
    with pytest.raises(PermissionDenied):
        call(enterprise_user, cities=("410100",))
    assert enterprise_user.role == User.Role.ENTERPRISE


def _temp_files() -> set[str]:
    import tempfile
    from pathlib import Path

    return {p.name for p in Path(tempfile.gettempdir()).iterdir()}


def test_the_alert_export_leaves_no_temporary_file(world, province_user, client, monkeypatch):
    """Issue 10: an export, downloaded or failed, leaves nothing in the temporary folder."""
    from django.urls import reverse

    from emergency_list.excel import alerts as alert_excel

    listed("410184", "D")
    alert = call(province_user)
    client.force_login(province_user)
    before = _temp_files()
    response = client.get(reverse("emergency_list:alert-export", args=[alert.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert _temp_files() - before == set()

    def broken(ws, value):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(alert_excel, "safe_cell", broken)
    with pytest.raises(RuntimeError):
        client.get(reverse("emergency_list:alert-export", args=[alert.pk]))
    assert _temp_files() - before == set()


# --- the job, its queries and the reads that must not touch duties ----------------------------


def _queries_of_a_call(actor, cities) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call(actor, cities=cities)
    return len(ctx.captured_queries)


def test_alert_call_queries_do_not_grow_with_counties(province_user):
    """The totals come from grouped queries and the duties from INSERT ... SELECT: a call for
    a city with enterprises in 6 counties costs the queries one with 2 counties does."""
    for code in ("410184", "410122"):
        listed(code, "D")
    two = _queries_of_a_call(province_user, ("410100",))
    for code in ("410181", "410182", "410183", "410185"):
        listed(code, "C")
        listed(code, "D")
    six = _queries_of_a_call(province_user, ("410100",))
    alert = Alert.objects.order_by("-id").first()
    assert alert.entries == 10 and len({d["county_code"] for d in duty_list(alert)}) == 6
    assert six == two, (two, six)
    # and a city of one county-level unit costs the same again
    listed("419001", "D")
    assert _queries_of_a_call(province_user, ("419001",)) == two


def _sql(ctx) -> str:
    return "\n".join(q["sql"] for q in ctx.captured_queries)


def test_alert_lists_read_neither_duties_nor_totals(world, province_user, client):
    call(province_user)
    api = APIClient()
    api.force_authenticate(province_user)
    client.force_login(province_user)
    duty_tables = (AlertDuty._meta.db_table, AlertDutyProcess._meta.db_table)
    for get in (lambda: client.get("/list/alerts/"), lambda: api.get("/api/v1/list/alerts/")):
        with CaptureQueriesContext(connection) as ctx:
            response = get()
        assert response.status_code == 200
        sql = _sql(ctx)
        assert "emergency_list_alert" in sql
        assert not any(t in sql for t in duty_tables), sql
        assert '"results"' not in sql, sql
    listed_api = api.get("/api/v1/list/alerts/").json()
    assert listed_api[0]["status"] == "ready" and listed_api[0]["entries"] == 9


def test_duties_page_through_by_cursor_and_county(world, province_user, county_user):
    alert = call(province_user)
    api = APIClient()
    api.force_authenticate(province_user)
    seen, url = [], f"/api/v1/list/alerts/{alert.pk}/duties/?page_size=4"
    while url:
        body = api.get(url).json()
        seen += [d["entry"] for d in body["results"]]
        url = body["next"]
    assert seen == [d["entry"] for d in duty_list(alert)]
    detail = api.get(f"/api/v1/list/alerts/{alert.pk}/").json()
    assert "duties" not in detail["results"] and detail["duties_url"].endswith("/duties/")
    api.force_authenticate(county_user)
    own = api.get(f"/api/v1/list/alerts/{alert.pk}/duties/").json()["results"]
    assert own and {d["county_code"] for d in own} == {"410184"}
    # read by the county's range of positions: exactly its duties, in the alert's order
    assert [d["entry"] for d in own] == [
        d["entry"] for d in duty_list(alert) if d["county_code"] == "410184"
    ]
    first, last = county_of(alert, "410184")["positions"]
    assert last - first + 1 == len(own)


def test_alert_job_failure_keeps_no_duties(world, province_user, monkeypatch):
    def broken(**kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(alert_service, "_county_totals", broken)
    with TestCase.captureOnCommitCallbacks(execute=True):
        alert = alert_call(
            actor=province_user,
            level=AlertLevel.RED,
            cities=[region("410100")],
            start_on=START,
            end_on=START,
            year=YEAR,
        )
    alert.refresh_from_db()
    assert alert.status == Alert.Status.FAILED and "测算失败" in alert.error
    assert not alert.duties.exists()
    assert not AuditEvent.objects.filter(code="list.alert.called").exists()


def test_pending_alert_page_shows_progress(world, province_user, client):
    alert = alert_call(  # committed only at the test's end: the job has not run
        actor=province_user,
        level=AlertLevel.RED,
        cities=[region("410100")],
        start_on=START,
        end_on=START,
        year=YEAR,
    )
    client.force_login(province_user)
    page = client.get(f"/list/alerts/{alert.pk}/").content.decode()
    assert 'id="alert-status"' in page and "排队中" in page and 'id="county-table"' not in page
    polled = client.get(f"/list/alerts/{alert.pk}/", headers={"HX-Request": "true"})
    assert polled.content.decode().lstrip().startswith('<div id="alert-status"')
    export = client.get(f"/list/alerts/{alert.pk}/export/")
    assert export.status_code == 302
