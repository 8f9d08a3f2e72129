"""API for alerts, Excel jobs and entry documents: the same rules as the pages."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from emergency_list.models import ExcelJob
from emergency_list.services.documents import documents_list
from emergency_list.services.entries import entry_build
from grading.models import Grade, Industry, User
from grading.services.grades import grade_record_add
from tests import factories
from tests.declaration_builders import ensure_lines

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def listed(county_user):
    out = []
    for code, county in (("D", "410184"), ("A", "410122")):
        ent = factories.enterprise(
            county=county,
            industry="N15",
            emissions=[{"so2_tpa": 30, "nox_tpa": 60, "pm_tpa": 10, "vocs_tpa": 5}],
        )
        ensure_lines(ent)
        entry = entry_build(year=YEAR, enterprise=ent)
        grade_record_add(
            actor=county_user,
            enterprise=ent,
            industry=Industry.objects.get(code="N15"),
            grade=Grade.objects.get(code=code),
            effective_from=datetime.date(YEAR, 1, 2),
            source="import",
        )
        out.append(entry)
    return out


def test_city_calls_an_alert_and_a_county_reads_its_part(
    listed, city_user, county_user, django_capture_on_commit_callbacks
):
    body = {
        "level": "red",
        "cities": ["410100"],
        "start_on": str(timezone.localdate()),
        "end_on": str(timezone.localdate()),
        "year": YEAR,
    }
    with django_capture_on_commit_callbacks(execute=True):  # the job runs once the call commits
        response = api(city_user).post("/api/v1/list/alerts/", body, format="json")
    assert response.status_code == 202, response.json()
    alert = api(city_user).get(f"/api/v1/list/alerts/{response.json()['id']}/").json()
    assert alert["status"] == "ready"
    codes = {c["code"] for c in alert["results"]["counties"]}
    assert {"410184", "410122"} <= codes
    mine = api(county_user).get(f"/api/v1/list/alerts/{alert['id']}/").json()
    assert {c["code"] for c in mine["results"]["counties"]} == {"410184"}
    duties = api(county_user).get(mine["duties_url"]).json()["results"]
    assert duties and all(d["county_code"] == "410184" for d in duties)
    assert api(county_user).post("/api/v1/list/alerts/", body, format="json").status_code == 403
    luoyang = factories.staff_user(User.Role.CITY, "410300")
    assert api(luoyang).get(f"/api/v1/list/alerts/{alert['id']}/").status_code == 404


def test_excel_export_and_reimport_through_the_api(
    listed, county_user, other_county_user, django_capture_on_commit_callbacks
):
    client = api(county_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/list/excel-jobs/export/", {"region": "410184", "year": YEAR}, format="json"
        )
    assert response.status_code == 202
    job = ExcelJob.objects.get(pk=response.json()["id"])
    assert job.status == "ready" and job.file
    detail = client.get(f"/api/v1/list/excel-jobs/{job.pk}/").json()
    assert detail["download_url"].endswith("/download/")
    assert api(other_county_user).get(f"/api/v1/list/excel-jobs/{job.pk}/").status_code == 404
    with job.file.open("rb") as fh, django_capture_on_commit_callbacks(execute=True):
        fh.name = "清单.xlsx"
        upload = client.post(
            "/api/v1/list/excel-jobs/import/",
            {"region": "410184", "year": YEAR, "file": fh},
            format="multipart",
        )
    assert upload.status_code == 202, upload.json()
    imported = ExcelJob.objects.get(pk=upload.json()["id"])
    assert imported.status == "validated", imported.report
    with django_capture_on_commit_callbacks(execute=True):
        confirm = client.post(f"/api/v1/list/excel-jobs/{imported.pk}/confirm/")
    assert confirm.status_code == 202
    assert ExcelJob.objects.get(pk=imported.pk).status == "ready"
    refused = api(other_county_user).post(
        "/api/v1/list/excel-jobs/export/", {"region": "410184", "year": YEAR}, format="json"
    )
    assert refused.status_code == 403


def test_entry_documents_through_the_api(
    listed, county_user, other_county_user, django_capture_on_commit_callbacks
):
    entry = listed[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = api(county_user).post(f"/api/v1/list/entries/{entry.pk}/documents/")
    assert response.status_code == 202
    files = documents_list(entry)
    assert files["plan"] and files["signboard"]
    assert (
        api(other_county_user).post(f"/api/v1/list/entries/{entry.pk}/documents/").status_code
        == 404
    )
