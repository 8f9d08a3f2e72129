"""The list API (/api/v1/list/entries/): reads scoped to the caller's jurisdiction (404 outside
it), the county's edits (R-LIST-3, R-LIST-8), compiling a county's list in the background
(R-LIST-1) and the ratio check (R-LIST-7)."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEvent
from emergency_list.models import Action, AlertLevel, EntryMeasure, ListEntry
from emergency_list.services.entries import entry_build
from emergency_list.services.ratios import ratio_check
from grading.models import Grade, GradeRecord, Industry, Region
from grading.services.grades import grade_record_add
from tests import factories
from tests.declaration_builders import ensure_lines

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
URL = "/api/v1/list/entries/"
EMISSIONS = [{"so2_tpa": 30, "nox_tpa": 60, "pm_tpa": 15, "vocs_tpa": 9}]
LEVELS = {AlertLevel.YELLOW, AlertLevel.ORANGE, AlertLevel.RED}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def lined(county: str, industry: str, name: str):
    ent = factories.enterprise(county=county, industry=industry, name=name, emissions=EMISSIONS)
    ensure_lines(ent)
    return ent


def listed(county: str, industry: str, grade: str, name: str) -> ListEntry:
    ent = lined(county, industry, name)
    grade_record_add(
        actor=None,
        enterprise=ent,
        industry=Industry.objects.get(code=industry),
        grade=Grade.objects.get(code=grade),
        effective_from=timezone.localdate(),
        source=GradeRecord.Source.IMPORT,
    )
    return entry_build(year=YEAR, enterprise=ent)


@pytest.fixture
def world():
    """新郑市: a B-grade cement plant (orange: limit 20%, red: stop) and a D-grade printer;
    中牟县: a C-grade cement plant; the cement plant of 新郑 also has last year's entry."""
    xz_b = listed("410184", "N15", "B", "新郑水泥B级有限公司")
    xz_d = listed("410184", "N31", "D", "新郑印务D级有限公司")
    zm_c = listed("410122", "N15", "C", "中牟水泥C级有限公司")
    last_year = entry_build(year=YEAR - 1, enterprise=xz_b.enterprise)
    return {"xz_b": xz_b, "xz_d": xz_d, "zm_c": zm_c, "last_year": last_year}


def names(body) -> set[str]:
    return {r["enterprise_name"] for r in body["results"]}


def measures_of(body) -> dict[str, dict]:
    """{level: measure} of an entry's only process, from a detail response."""
    (process,) = body["processes"]
    return {m["level"]: m for m in process["measures"]}


# --- reading -----------------------------------------------------------------------------------


def test_list_by_year_and_county_within_reach(world, county_user, city_user, other_county_user):
    xinzheng = {"新郑水泥B级有限公司", "新郑印务D级有限公司"}
    body = api(county_user).get(URL).json()
    assert body["count"] == 2 and names(body) == xinzheng
    assert {(r["county"], r["year"]) for r in body["results"]} == {("410184", YEAR)}
    row = next(r for r in body["results"] if r["enterprise"] == world["xz_b"].enterprise_id)
    assert row["grade"] == "B" and row["graded"] and row["so2_tpa"] == "30.0000"
    assert "processes" not in row  # the list stays flat; the detail has the processes

    body = api(county_user).get(URL, {"year": YEAR - 1}).json()
    assert [r["id"] for r in body["results"]] == [world["last_year"].pk]
    assert body["results"][0]["year"] == YEAR - 1
    assert api(county_user).get(URL, {"year": YEAR - 5}).json()["count"] == 0
    assert api(county_user).get(URL, {"year": "abc"}).status_code == 400

    # a county user asking for another county gets nothing; the city sees all its counties
    assert api(county_user).get(URL, {"county": "410122"}).json()["count"] == 0
    body = api(city_user).get(URL).json()
    assert names(body) == xinzheng | {"中牟水泥C级有限公司"}
    assert names(api(city_user).get(URL, {"county": "410122"}).json()) == {"中牟水泥C级有限公司"}
    assert names(api(city_user).get(URL, {"county": "410184"}).json()) == xinzheng
    assert api(city_user).get(URL, {"county": "999999"}).json()["count"] == 0
    assert names(api(other_county_user).get(URL).json()) == {"中牟水泥C级有限公司"}


def test_enterprise_user_sees_only_its_own_entry(world):
    own = world["xz_b"]
    user = factories.enterprise_user(own.enterprise)
    client = api(user)
    body = client.get(URL).json()
    assert [r["id"] for r in body["results"]] == [own.pk]
    assert client.get(f"{URL}{own.pk}/").status_code == 200
    assert client.get(f"{URL}{world['xz_d'].pk}/").status_code == 404
    assert client.get(f"{URL}{world['zm_c'].pk}/").status_code == 404
    # it reads its entry but does not edit it, nor look at the county's ratio check
    response = client.patch(f"{URL}{own.pk}/", {"is_power_plant": True}, format="json")
    assert response.status_code == 403
    assert not ListEntry.objects.get(pk=own.pk).is_power_plant
    assert client.get(f"{URL}ratio/", {"scope": "410184"}).status_code == 403


def test_another_countys_user_gets_404_for_detail_patch_and_override(world, other_county_user):
    entry = world["xz_b"]
    orange = EntryMeasure.objects.get(entry_process__entry=entry, level=AlertLevel.ORANGE)
    client = api(other_county_user)
    assert client.get(f"{URL}{entry.pk}/").status_code == 404
    response = client.patch(f"{URL}{entry.pk}/", {"is_power_plant": True}, format="json")
    assert response.status_code == 404
    response = client.post(
        f"{URL}{entry.pk}/override/",
        {"measure": orange.pk, "action": Action.STOP, "ratio_pct": "100", "reason": "加严"},
        format="json",
    )
    assert response.status_code == 404
    entry.refresh_from_db()
    orange.refresh_from_db()
    assert not entry.is_power_plant and entry.revision == 1
    assert orange.action == Action.LIMIT and not orange.is_override


def test_retrieve_shows_processes_and_measures_per_level(world, county_user):
    entry = world["xz_b"]
    body = api(county_user).get(f"{URL}{entry.pk}/").json()
    assert body["enterprise_name"] == "新郑水泥B级有限公司" and body["county"] == "410184"
    assert body["grade"] == "B" and body["year"] == YEAR
    (process,) = body["processes"]
    assert process["name"] == "凹版印刷" and process["line"] == "1号印刷线"
    assert Decimal(process["so2_tpa"]) == 30
    by_level = measures_of(body)
    assert set(by_level) == LEVELS and len(process["measures"]) == 3
    assert by_level["yellow"]["action"] == Action.TRANSPORT_ONLY
    assert by_level["orange"]["action"] == Action.LIMIT
    assert Decimal(by_level["orange"]["ratio_pct"]) == 20
    assert "限产20%" in by_level["orange"]["text"]
    assert by_level["red"]["action"] == Action.STOP
    # a day's emissions (30 t/a over 300 days) × the share the measure cuts
    assert Decimal(by_level["red"]["so2_td"]) == Decimal("0.1000")
    assert Decimal(by_level["orange"]["so2_td"]) == Decimal("0.0200")
    assert Decimal(by_level["yellow"]["so2_td"]) == 0
    assert not any(m["is_override"] for m in by_level.values())


# --- the county's edits ------------------------------------------------------------------------


def test_r_list_3_patch_power_plant_makes_measures_transport_only(world, county_user):
    entry = world["xz_b"]
    response = api(county_user).patch(f"{URL}{entry.pk}/", {"is_power_plant": True}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_power_plant"] and body["revision"] == 2
    by_level = measures_of(body)
    assert set(by_level) == LEVELS
    for m in by_level.values():
        assert m["action"] == Action.TRANSPORT_ONLY, m
        assert all(Decimal(m[f"{p}_td"]) == 0 for p in ("so2", "nox", "pm", "vocs"))
    assert "不强制停限产" in by_level["red"]["text"]
    stored = EntryMeasure.objects.filter(entry_process__entry=entry)
    assert {m.action for m in stored} == {Action.TRANSPORT_ONLY}
    # a field that is not a flag is not taken
    response = api(county_user).patch(f"{URL}{entry.pk}/", {"grade": "A"}, format="json")
    assert response.status_code == 200
    assert ListEntry.objects.get(pk=entry.pk).grade.code == "B"


def test_r_list_8_override_stricter_ok_weaker_refused(world, county_user):
    entry = world["xz_b"]
    client = api(county_user)
    by_level = measures_of(client.get(f"{URL}{entry.pk}/").json())
    orange, red = by_level["orange"], by_level["red"]
    override = f"{URL}{entry.pk}/override/"

    response = client.post(
        override,
        {
            "measure": orange["id"],
            "action": Action.LIMIT,
            "ratio_pct": "40",
            "text": "限产40%",
            "reason": "本地大气质量形势严峻",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == orange["id"] and body["is_override"]
    assert Decimal(body["ratio_pct"]) == 40 and body["override_reason"] == "本地大气质量形势严峻"
    assert Decimal(body["so2_td"]) == Decimal("0.0400")
    assert ListEntry.objects.get(pk=entry.pk).revision == 2

    for measure, ratio in ((red, "50"), (orange, "10")):  # weaker than the guide: stop / 20%
        response = client.post(
            override,
            {
                "measure": measure["id"],
                "action": Action.LIMIT,
                "ratio_pct": ratio,
                "reason": "放宽",
            },
            format="json",
        )
        assert response.status_code == 400, response.content
        assert "不能放宽" in response.content.decode()
    stored = EntryMeasure.objects.get(pk=red["id"])
    assert stored.action == Action.STOP and not stored.is_override
    assert EntryMeasure.objects.get(pk=orange["id"]).ratio_pct == 40

    # a reason is required; a measure of another entry is not found through this one
    response = client.post(
        override, {"measure": red["id"], "action": Action.STOP, "ratio_pct": "100"}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()
    other = EntryMeasure.objects.filter(entry_process__entry=world["xz_d"]).first()
    response = client.post(
        override,
        {"measure": other.pk, "action": Action.STOP, "ratio_pct": "100", "reason": "加严"},
        format="json",
    )
    assert response.status_code == 404


# --- compiling ---------------------------------------------------------------------------------


def test_r_list_1_generate_builds_the_own_countys_list(
    county_user, other_county_user, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    made = {lined("410184", "N31", f"新郑待编制{i}有限公司").pk for i in range(2)}
    lined("410122", "N31", "中牟待编制有限公司")
    generate = f"{URL}generate/"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api(county_user).post(
            generate, {"county": "410184", "year": YEAR}, format="json"
        )
    assert response.status_code == 202, response.content
    assert response.json() == {"county": "410184", "year": YEAR, "status": "queued"}
    assert len(callbacks) == 1
    built = ListEntry.objects.filter(year=YEAR)
    assert set(built.values_list("enterprise_id", flat=True)) == made
    assert {e.county.code for e in built} == {"410184"}
    assert AuditEvent.objects.filter(code="list.generate.requested").count() == 1

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api(other_county_user).post(
            generate, {"county": "410184", "year": YEAR}, format="json"
        )
        assert response.status_code == 403
        response = api(county_user).post(generate, {"county": "410100", "year": YEAR})
        assert response.status_code == 400 and "county" in response.json()
    assert callbacks == []
    assert AuditEvent.objects.filter(code="list.generate.requested").count() == 1
    assert ListEntry.objects.filter(year=YEAR).count() == 2


def test_generate_with_a_malformed_year_is_a_400(county_user):
    client = api(county_user)
    client.raise_request_exception = False
    response = client.post(f"{URL}generate/", {"county": "410184", "year": "abc"}, format="json")
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(code="list.generate.requested").exists()


# --- the ratio check ---------------------------------------------------------------------------


def check_matches(body: dict, scope: str) -> None:
    expected = ratio_check(scope=Region.objects.get(code=scope), year=YEAR)
    assert body["scope"] == scope and body["year"] == YEAR
    assert set(body["levels"]) == LEVELS
    for level, rows in expected.items():
        got = {r["pollutant"]: r for r in body["levels"][level]}
        assert set(got) == {"so2", "nox", "pm", "vocs"}
        for r in rows:
            row = got[r.pollutant]
            for key in ("baseline_td", "cut_td", "achieved_pct", "required_pct", "shortfall_td"):
                assert Decimal(str(row[key])) == getattr(r, key), (level, r.pollutant, key)
            assert row["ok"] == r.ok


def test_r_list_7_ratio_per_level_equals_ratio_check(world, county_user, city_user):
    response = api(county_user).get(f"{URL}ratio/", {"scope": "410184"})
    assert response.status_code == 200, response.content
    body = response.json()
    check_matches(body, "410184")
    red = {r["pollutant"]: r for r in body["levels"]["red"]}
    # two plants of 30 t/a SO2 over 300 days; both stop at red
    assert Decimal(str(red["so2"]["baseline_td"])) == Decimal("0.2")
    assert Decimal(str(red["so2"]["cut_td"])) == Decimal("0.2") and red["so2"]["ok"]
    # without a scope: the user's own region
    assert api(county_user).get(f"{URL}ratio/").json()["scope"] == "410184"
    check_matches(api(city_user).get(f"{URL}ratio/", {"scope": "410100"}).json(), "410100")
    check_matches(api(city_user).get(f"{URL}ratio/", {"scope": "410122"}).json(), "410122")


def test_ratio_for_a_scope_out_of_reach_is_404(world, county_user, city_user):
    for scope in ("410122", "410100", "410300", "410311", "000000"):
        response = api(county_user).get(f"{URL}ratio/", {"scope": scope})
        assert response.status_code == 404, scope
    for scope in ("410300", "410311", "410000"):
        response = api(city_user).get(f"{URL}ratio/", {"scope": scope})
        assert response.status_code == 404, scope
