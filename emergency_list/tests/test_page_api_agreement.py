"""A page and its API give the same answer to every role (see ``roles``): entries and their
changes, documents, list scopes and ratio checks, alerts and the part of them each reads,
Excel jobs. Outcomes: ``done`` (a page shown or a redirect without an error message; a 2xx),
``refused`` (403, or a page that did nothing and says why; 403), ``missing`` (404 on both)."""

import datetime

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.test import Client
from rest_framework.test import APIClient

from emergency_list.models import Action, Alert, AlertLevel, EntryMeasure, ExcelJob
from emergency_list.services.alerts import alert_call
from emergency_list.services.documents import document_store
from emergency_list.tasks.alerts import compute_alert
from emergency_list.tests.roles import (
    BUREAUS,
    ROLES,
    XINZHENG,
    YEAR,
    ZHENGZHOU_ALERTS,
    ZHENGZHOU_TOTALS,
    excel_job,
    listed,
    users,
)
from grading.models import Region

pytestmark = pytest.mark.django_db
API = "/api/v1/list"
READERS = XINZHENG | {"enterprise"}  # of the entry of 新郑市
SCOPES = {
    "410184": XINZHENG,
    "410100": {"city", "province", "admin"},
    "410000": {"province", "admin"},
}


@pytest.fixture
def world():
    entry = listed("410184", "新郑水泥有限公司")
    other = listed("410122", "中牟水泥有限公司")
    people = users(entry, other)
    day = datetime.date(YEAR, 1, 10)
    alert = alert_call(
        actor=people["city"],
        level=AlertLevel.RED,
        cities=[Region.objects.get(code="410100")],
        start_on=day,
        end_on=day,
        year=YEAR,
    )
    compute_alert(alert.pk)  # the worker's job, which runs once the call commits
    alert.refresh_from_db()
    return {"users": people, "entry": entry, "other": other, "alert": alert}


def clients(world, role) -> tuple[Client, APIClient]:
    user = world["users"][role]
    page, api = Client(), APIClient()
    page.force_login(user)
    api.force_authenticate(user)
    return page, api


def page_outcome(response) -> str:
    if response.status_code in (403, 404):
        return {403: "refused", 404: "missing"}[response.status_code]
    assert response.status_code in (200, 302), response.status_code
    said = [m for m in get_messages(response.wsgi_request) if m.level == messages.ERROR]
    form = response.context.get("form") if response.context else None
    return "refused" if said or (form is not None and form.errors) else "done"


def api_outcome(response) -> str:
    if 200 <= response.status_code < 300:
        return "done"
    return {400: "invalid", 403: "refused", 404: "missing"}[response.status_code]


def expected(role: str, done: set[str], *, refused: set[str] = frozenset()) -> str:
    """``done`` for the roles that may, ``refused`` for those told no, ``missing`` else."""
    return "done" if role in done else "refused" if role in refused else "missing"


def agree(page_response, api_response, want: str) -> None:
    assert (page_outcome(page_response), api_outcome(api_response)) == (want, want)


NON_BUREAU = set(ROLES) - BUREAUS
by_role = pytest.mark.parametrize("role", ROLES)


# --- entries -----------------------------------------------------------------------------------


@by_role
def test_an_entry(world, role):
    page, api = clients(world, role)
    pk = world["entry"].pk
    agree(
        page.get(f"/list/entries/{pk}/"), api.get(f"{API}/entries/{pk}/"), expected(role, READERS)
    )


@by_role
def test_changing_an_entry(world, role):
    page, api = clients(world, role)
    entry = world["entry"]
    form = {
        "form": "entry",
        "responsible_person": "张三",
        "contact_mobile": "13800000000",
        "operating_days": 300,
        "note": "页面修改",
    }
    want = expected(role, XINZHENG, refused={"enterprise"})
    agree(
        page.post(f"/list/entries/{entry.pk}/", form),
        api.patch(f"{API}/entries/{entry.pk}/", {"note": "接口修改"}, format="json"),
        want,
    )


@by_role
def test_tightening_a_measure(world, role):
    """R-LIST-8: a stricter measure, on the page and through the API."""
    page, api = clients(world, role)
    entry = world["entry"]
    measures = {m.level: m for m in EntryMeasure.objects.filter(entry_process__entry=entry)}

    def stop(level: str) -> dict:
        return {
            "measure": measures[level].pk,
            "action": Action.STOP,
            "ratio_pct": "100",
            "reason": "本地加严",
        }

    want = expected(role, XINZHENG, refused={"enterprise"})
    agree(
        page.post(f"/list/entries/{entry.pk}/", {"form": "override", **stop("orange")}),
        api.post(f"{API}/entries/{entry.pk}/override/", stop("yellow"), format="json"),
        want,
    )
    assert EntryMeasure.objects.filter(is_override=True).count() == (2 if want == "done" else 0)


def test_a_measure_without_its_ratio_is_a_form_error_and_a_400(world):
    page, api = clients(world, "county")
    entry = world["entry"]
    measure = EntryMeasure.objects.filter(entry_process__entry=entry, level="orange").get()
    data = {"measure": measure.pk, "action": Action.STOP, "reason": "本地加严"}
    response = page.post(f"/list/entries/{entry.pk}/", {"form": "override", **data})
    assert page_outcome(response) == "refused"
    response = api.post(f"{API}/entries/{entry.pk}/override/", data, format="json")
    assert response.status_code == 400 and "ratio_pct" in response.json()
    assert not EntryMeasure.objects.filter(is_override=True).exists()


@by_role
def test_an_entrys_plan_and_signboard(world, role):
    """R-LIST-4, R-LIST-5: the enterprise sees and asks for its own, as its bureaus do."""
    page, api = clients(world, role)
    entry = world["entry"]
    document_store(entry, "plan", b"%PDF-1.4 plan")
    want = expected(role, READERS)
    agree(
        page.get(f"/list/entries/{entry.pk}/documents/plan/0/"),
        api.get(f"{API}/entries/{entry.pk}/documents/"),
        want,
    )
    agree(
        page.post(f"/list/entries/{entry.pk}/documents/"),
        api.post(f"{API}/entries/{entry.pk}/documents/"),
        want,
    )


# --- scopes ------------------------------------------------------------------------------------


@by_role
@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_a_list_scope_and_its_ratio_check(world, role, scope):
    """R-LIST-7: a scope out of reach is a 404 on the pages and in the API alike."""
    page, api = clients(world, role)
    want = expected(role, SCOPES[scope], refused=NON_BUREAU)
    ratio = api.get(f"{API}/entries/ratio/", {"scope": scope})
    agree(page.get("/list/ratio/", {"scope": scope}), ratio, want)
    agree(page.get("/list/", {"scope": scope}), ratio, want)


@by_role
def test_compiling_a_countys_list(world, role):
    """R-LIST-1: the county's bureau (and those above it) compile it."""
    page, api = clients(world, role)
    data = {"county": "410184", "year": YEAR}
    agree(
        page.post("/list/generate/", data),
        api.post(f"{API}/entries/generate/", data, format="json"),
        expected(role, XINZHENG, refused=set(ROLES) - XINZHENG),
    )


# --- alerts ------------------------------------------------------------------------------------


@by_role
def test_alerts_and_the_part_each_reads(world, role):
    """A county reads its own county's part of its city's alert, on the page as in the API;
    only who reads the whole alert exports it."""
    page, api = clients(world, role)
    agree(
        page.get("/list/alerts/"),
        api.get(f"{API}/alerts/"),
        expected(role, BUREAUS, refused=NON_BUREAU),
    )
    pk = world["alert"].pk
    shown, given = page.get(f"/list/alerts/{pk}/"), api.get(f"{API}/alerts/{pk}/")
    agree(shown, given, expected(role, ZHENGZHOU_ALERTS, refused=NON_BUREAU))
    exported = page.get(f"/list/alerts/{pk}/export/")
    if role not in ZHENGZHOU_ALERTS:
        assert page_outcome(exported) == page_outcome(shown)
        return
    results = given.json()["results"]
    r = shown.context["r"]
    assert [c["code"] for c in r["counties"]] == [c["code"] for c in results["counties"]]
    duties = api.get(f"{API}/alerts/{pk}/duties/").json()["results"]
    assert [d["entry"] for d in shown.context["duties"]] == [d["entry"] for d in duties]
    whole = role in ZHENGZHOU_TOTALS
    assert ("overall" in r, "overall" in results, "shortfalls" in results) == (whole,) * 3
    assert page_outcome(exported) == ("done" if whole else "refused")
    if not whole:
        own = world["users"][role].region.code
        assert {c["code"] for c in results["counties"]} == {own}
        assert "中牟水泥有限公司" not in shown.content.decode() or own == "410122"


@by_role
def test_calling_an_alert(world, role):
    page, api = clients(world, role)
    zhengzhou = Region.objects.get(code="410100")
    day = str(datetime.date(YEAR, 2, 1))
    data = {"level": AlertLevel.ORANGE, "start_on": day, "end_on": day, "year": YEAR}
    before = Alert.objects.count()
    agree(
        page.post("/list/alerts/", {**data, "cities": [zhengzhou.pk]}),
        api.post(f"{API}/alerts/", {**data, "cities": ["410100"]}, format="json"),
        expected(role, ZHENGZHOU_TOTALS, refused=set(ROLES) - ZHENGZHOU_TOTALS),
    )
    assert Alert.objects.count() - before == (2 if role in ZHENGZHOU_TOTALS else 0)


# --- Excel jobs --------------------------------------------------------------------------------


@by_role
def test_excel_jobs_by_current_reach(world, role):
    """A job is seen by who reaches its scope now, whoever asked for it."""
    page, api = clients(world, role)
    people = world["users"]
    county_job = excel_job(ExcelJob.Kind.EXPORT, "410184", people["county"])
    excel_job(ExcelJob.Kind.EXPORT, "410100", people["city"])
    listed_page, listed_api = page.get("/list/excel/"), api.get(f"{API}/excel-jobs/")
    agree(listed_page, listed_api, expected(role, BUREAUS, refused=NON_BUREAU))
    if role in BUREAUS:
        shown = {j.pk for j in listed_page.context["jobs"]}
        assert shown == {j["id"] for j in listed_api.json()}
    agree(
        page.get(f"/list/excel/jobs/{county_job.pk}/"),
        api.get(f"{API}/excel-jobs/{county_job.pk}/"),
        expected(role, XINZHENG, refused=NON_BUREAU),
    )


@by_role
def test_exporting_a_countys_list(world, role):
    page, api = clients(world, role)
    data = {"region": "410184", "year": YEAR}
    agree(
        page.post("/list/excel/", {"action": "export", **data}),
        api.post(f"{API}/excel-jobs/export/", data, format="json"),
        expected(role, XINZHENG, refused=set(ROLES) - XINZHENG),
    )
    assert ExcelJob.objects.count() == (2 if role in XINZHENG else 0)


@by_role
def test_confirming_an_import(world, role):
    page, api = clients(world, role)
    county = world["users"]["county"]
    validated = {"status": ExcelJob.Status.VALIDATED, "report": {"ok": True}}
    jobs = [excel_job(ExcelJob.Kind.IMPORT, "410184", county, **validated) for _ in range(2)]
    agree(
        page.post(f"/list/excel/jobs/{jobs[0].pk}/"),
        api.post(f"{API}/excel-jobs/{jobs[1].pk}/confirm/"),
        expected(role, XINZHENG, refused=NON_BUREAU),
    )
    pending = ExcelJob.objects.filter(status=ExcelJob.Status.PENDING).count()
    assert pending == (2 if role in XINZHENG else 0)
