"""Change reports (R-ELIG-5; 002 第十二条): a graded enterprise reports a change of equipment or
treatment facilities with files; the county acknowledges it or opens a re-review (a downgrade
case with an expert second review); until then the enterprise's pages show the pending change.
Walked through the services, the API and the pages."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.models import Notification
from declarations.models import ChangeReport
from declarations.services import changes
from grading.models import GradeRecord
from grading.services.grades import grade_record_add
from review.models import DowngradeCase
from review.services.change_reports import change_report_re_review
from review.tests import builders
from review.tests.api_client import client_for, messages
from review.tests.test_appeals import pdf
from tests import factories

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/declarations/change-reports/"
Status = ChangeReport.Status


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)
    import review.tasks

    monkeypatch.setattr(review.tasks.render_case_form, "delay", lambda *a, **k: None)


@pytest.fixture
def graded(enterprise):
    grade_record_add(
        actor=None,
        enterprise=enterprise,
        industry=builders.industry("N31"),
        grade=builders.grade("B"),
        effective_from=datetime.date(2025, 6, 1),
        source=GradeRecord.Source.REVIEW,
    )
    return enterprise


def file_report(user, enterprise, **over) -> ChangeReport:
    data = {
        "industry": builders.industry("N31"),
        "kind": ChangeReport.Kind.TREATMENT,
        "description": "活性炭吸附更换为RTO蓄热燃烧装置",
        "changed_on": datetime.date.today() - datetime.timedelta(days=3),
        "files": [pdf("改造验收.pdf")],
    }
    data.update(over)
    return changes.change_report_file(actor=user, enterprise=enterprise, **data)


def test_r_elig_5_graded_enterprise_files_a_change_report_and_the_county_is_told(
    graded, enterprise_user, county_user, other_county_user
):
    report = file_report(enterprise_user, graded)
    assert report.status == Status.PENDING and report.number.startswith("BG")
    assert report.files.get().name == "改造验收.pdf"
    assert Notification.objects.filter(
        recipient=county_user, code="declarations.change_report.filed"
    ).exists()
    assert not Notification.objects.filter(recipient=other_county_user).exists()


def test_r_elig_5_change_report_refusals(graded, enterprise_user, county_user, other_enterprise):
    with pytest.raises(ValidationError) as exc:
        file_report(enterprise_user, graded, industry=builders.industry("N15"))
    assert "尚无等级" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):
        file_report(enterprise_user, graded, description=" ")
    with pytest.raises(ValidationError):
        file_report(
            enterprise_user, graded, changed_on=datetime.date.today() + datetime.timedelta(1)
        )
    exe = SimpleUploadedFile("说明.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    with pytest.raises(ValidationError):
        file_report(enterprise_user, graded, files=[exe])
    other_user = factories.enterprise_user(other_enterprise)
    for actor in (county_user, other_user):
        with pytest.raises(PermissionDenied):
            file_report(actor, graded)
    assert not ChangeReport.objects.exists()


def test_r_elig_5_county_acknowledges_once_and_only_in_reach(
    graded, enterprise_user, county_user, other_county_user, city_user
):
    report = file_report(enterprise_user, graded)
    for actor in (other_county_user, city_user, enterprise_user):
        with pytest.raises(PermissionDenied):
            changes.change_report_acknowledge(actor=actor, report=report, note="已知悉")
    with pytest.raises(ValidationError):
        changes.change_report_acknowledge(actor=county_user, report=report, note="")
    changes.change_report_acknowledge(actor=county_user, report=report, note="设施升级，等级不变")
    report.refresh_from_db()
    assert report.status == Status.ACKNOWLEDGED and report.handled_by == county_user
    with pytest.raises(PermissionDenied):
        change_report_re_review(actor=county_user, report=report, note="再复核")
    assert Notification.objects.filter(
        recipient=enterprise_user, code="declarations.change_report.acknowledged"
    ).exists()


def test_r_elig_5_re_review_opens_a_downgrade_case_with_a_second_review(
    graded, enterprise_user, county_user
):
    report = file_report(enterprise_user, graded)
    case = change_report_re_review(actor=county_user, report=report, note="拆除脱硝设施，须复核")
    report.refresh_from_db()
    assert report.status == Status.RE_REVIEW and report.re_review_ref == case.number
    assert case.reasons == [DowngradeCase.Reason.CHANGE]
    assert case.needs_second_review and case.stage == DowngradeCase.Stage.SECOND_REVIEW
    trigger = case.triggers.get()
    assert trigger.reference == report.number and trigger.source == "change_report"
    assert trigger.occurred_on == report.changed_on


def test_r_elig_5_enterprise_pages_show_the_pending_change_until_handled(
    graded, enterprise_user, county_user, other_county_user
):
    report = file_report(enterprise_user, graded)
    client = Client()
    client.force_login(enterprise_user)
    page = client.get(f"/enterprises/{graded.pk}/").content.decode()
    assert "待处理的变更报告" in page and report.number in page
    results = client.get("/declarations/results/").content.decode()
    assert report.number in results
    county = Client()
    county.force_login(county_user)
    assert report.number in county.get("/inbox/").content.decode()
    detail = county.get(f"/declarations/changes/{report.pk}/").content.decode()
    assert "启动复核" in detail and "确认变更" in detail
    other = Client()
    other.force_login(other_county_user)
    assert other.get(f"/declarations/changes/{report.pk}/").status_code == 404
    response = county.post(f"/declarations/changes/{report.pk}/", {"note": "等级不变"})
    assert response.status_code == 302
    page = client.get(f"/enterprises/{graded.pk}/").content.decode()
    assert "待处理的变更报告" not in page
    assert report.number in client.get(f"/declarations/changes/{report.pk}/").content.decode()


def test_r_elig_5_re_review_from_the_page_goes_to_the_case(graded, enterprise_user, county_user):
    report = file_report(enterprise_user, graded)
    county = Client()
    county.force_login(county_user)
    response = county.post(f"/review/change-reports/{report.pk}/re-review/", {"note": "须复核"})
    case = DowngradeCase.objects.get()
    assert response.status_code == 302 and response.url == f"/review/downgrades/{case.pk}/"


def test_r_elig_5_change_reports_through_the_api(
    graded, enterprise_user, county_user, other_county_user
):
    ent = client_for(enterprise_user)
    response = ent.post(
        REPORTS,
        {
            "industry": "N31",
            "kind": "equipment",
            "description": "新增一台印刷机",
            "changed_on": "2025-12-01",
            "files": [pdf()],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending" and len(body["files"]) == 1
    assert body["steps"][0]["code"] == "declarations.change_report.filed"
    pk = body["id"]
    bad = ent.post(
        REPORTS,
        {"industry": "N15", "kind": "equipment", "description": "x", "changed_on": "2025-12-01"},
        format="multipart",
    )
    assert bad.status_code == 400 and "尚无等级" in messages(bad.json())
    assert client_for(other_county_user).get(f"{REPORTS}{pk}/").status_code == 404
    assert ent.post(f"{REPORTS}{pk}/acknowledge/", {"note": "x"}, format="json").status_code == 403
    county = client_for(county_user)
    assert [r["id"] for r in county.get(REPORTS).json()["results"]] == [pk]
    response = county.post(
        f"/api/v1/review/change-reports/{pk}/re-review/", {"note": "须复核"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["reasons"] == ["change"]
    again = county.post(f"{REPORTS}{pk}/acknowledge/", {"note": "x"}, format="json")
    assert again.status_code == 403
    assert ent.get(f"{REPORTS}{pk}/").json()["status"] == "re_review"
