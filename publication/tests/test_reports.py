"""Public reports (R-PUB-2): anyone reports, the county's designated handlers verify and
record the outcome, the reporter is kept secret."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from core.context import request_context
from core.models import AuditEvent, Notification
from grading.models import Region, User
from publication.models import PublicReport
from publication.services.reports import report_handle, report_lodge
from publication.tests import builders
from review.models import DowngradeCase
from review.tests.builders import png_bytes
from tests import declaration_builders, factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def xz_handler(db):
    return builders.designated(User.Role.COUNTY, "410184")


@pytest.fixture
def target():
    return factories.enterprise(county="410184", name="新郑市甲包装有限公司")


def lodge(target, **kw):
    return report_lodge(
        kind=kw.pop("kind", "grade"),
        content=kw.pop("content", "该企业喷涂车间无组织排放严重，不应评为A级"),
        enterprise_name=kw.pop("enterprise_name", target.name),
        uscc=kw.pop("uscc", target.uscc),
        **kw,
    )


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_r_pub_2_a_report_goes_to_the_enterprises_county(target, xz_handler):
    report = lodge(target, name="孙八", contact="13512345678")
    assert (report.county.code, report.enterprise, report.status) == ("410184", target, "received")
    note = Notification.objects.get(recipient=xz_handler)
    assert "孙八" not in note.message and target.name not in note.message


def test_by_name_and_county_when_the_uscc_is_unknown(target):
    report = lodge(target, uscc="", county=Region.objects.get(code="410184"))
    assert report.enterprise == target
    unknown = lodge(
        target,
        uscc="",
        enterprise_name="新郑市某无证小作坊",
        county=Region.objects.get(code="410184"),
    )
    assert unknown.enterprise is None and unknown.county.code == "410184"
    with pytest.raises(ValidationError):
        lodge(target, uscc="", enterprise_name="某企业")


def test_r_decl_5_a_confidential_enterprise_is_reported_without_revealing_it():
    secret = factories.enterprise(county="410122", is_confidential=True)
    report = lodge(secret)
    assert report.enterprise == secret and report.county.code == "410122"


def test_evidence_is_checked_like_every_upload(target):
    photo = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
    pdf = SimpleUploadedFile(
        "记录.pdf", declaration_builders.pdf_bytes(), content_type="application/pdf"
    )
    report = lodge(target, files=[photo, pdf])
    assert [e.kind for e in report.evidence.all()] == ["png", "pdf"]
    fake = SimpleUploadedFile("照片.png", b"MZ\x90\x00 not an image", content_type="image/png")
    with pytest.raises(ValidationError):
        lodge(target, files=[fake])
    assert PublicReport.objects.count() == 1


def test_r_pub_2_rate_limit_per_address(target):
    with request_context(address="192.0.2.10"):
        for _ in range(5):
            lodge(target)
        with pytest.raises(ValidationError, match="提交过于频繁"):
            lodge(target)


def test_r_pub_2_audit_keeps_the_reporter_secret(target):
    with request_context(address="192.0.2.11"):
        lodge(target, name="孙八", contact="13512345678")
    event = AuditEvent.objects.get(code="publication.report.lodged")
    assert event.address is None
    assert "孙八" not in f"{event.summary}{event.reason}{event.data}"
    assert target.name not in event.summary


def test_r_pub_2_only_the_countys_designated_handlers_handle(target, xz_handler, county_user):
    report = lodge(target)
    other = builders.designated(User.Role.COUNTY, "410122")
    city = builders.designated(User.Role.CITY, "410100")
    for user in (county_user, other, city, factories.admin_user()):
        with pytest.raises(PermissionDenied):
            report_handle(actor=user, report=report, outcome="unfounded", note="不实")
    with pytest.raises(ValidationError):
        report_handle(actor=xz_handler, report=report, outcome="unfounded", note="")
    builders.decided(target, "B")  # a graded enterprise has a grade to lose
    done = report_handle(
        actor=xz_handler, report=report, outcome="downgrade_case", note="核实存在超标排放"
    )
    assert (done.status, done.outcome, done.handled_by) == ("closed", "downgrade_case", xz_handler)
    # R-DYN-1 across the stages: the founded report opened the county's downgrade case.
    case = DowngradeCase.objects.get(number=done.outcome_ref)
    assert case.enterprise == target and case.stage == case.Stage.COUNTY
    assert case.triggers.get().reference == report.receipt
    with pytest.raises(ValidationError):
        report_handle(actor=xz_handler, report=report, outcome="unfounded", note="再次")


def test_the_public_reports_from_the_page(target):
    client = Client()
    form = client.get(f"/public/report/?uscc={target.uscc}&enterprise_name={target.name}")
    assert target.uscc in form.content.decode()
    photo = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
    response = client.post(
        "/public/report/",
        {
            "enterprise_name": target.name,
            "uscc": target.uscc,
            "county": "",
            "kind": "conduct",
            "content": "夜间偷排废气，治理设施未运行",
            "files": [photo],
            "name": "",
            "contact": "",
        },
    )
    assert response.status_code == 302
    done = client.get(response["Location"]).content.decode()
    report = PublicReport.objects.get()
    assert report.receipt in done and report.evidence.count() == 1
    refused = client.post(
        "/public/report/", {"enterprise_name": "x", "kind": "grade", "content": "短"}
    )
    assert refused.status_code == 200 and PublicReport.objects.count() == 1


def test_pages_show_the_reporter_only_to_designated_handlers(
    target, xz_handler, county_user, other_county_user
):
    report = lodge(
        target,
        name="孙八",
        contact="13512345678",
        files=[SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")],
    )
    evidence = report.evidence.get()
    plain = client_for(county_user).get(f"/publication/reports/{report.pk}/").content.decode()
    assert "喷涂车间" in plain and "孙八" not in plain and "现场.png" not in plain
    assert (
        client_for(county_user)
        .get(f"/publication/reports/{report.pk}/evidence/{evidence.pk}/")
        .status_code
        == 404
    )
    assert (
        client_for(other_county_user).get(f"/publication/reports/{report.pk}/").status_code == 404
    )
    handler = client_for(xz_handler)
    shown = handler.get(f"/publication/reports/{report.pk}/").content.decode()
    assert "孙八" in shown and "13512345678" in shown
    assert (
        handler.get(f"/publication/reports/{report.pk}/evidence/{evidence.pk}/").status_code == 200
    )
    done = handler.post(
        f"/publication/reports/{report.pk}/", {"outcome": "unfounded", "note": "现场核实无此情况"}
    )
    assert done.status_code == 302
    assert PublicReport.objects.get().outcome == "unfounded"


def test_the_api_lodges_and_answers_the_handler_alone(target, xz_handler, county_user):
    lodged = APIClient().post(
        "/api/v1/public/reports/",
        {
            "enterprise_name": target.name,
            "uscc": target.uscc,
            "kind": "grade",
            "content": "该企业实际未安装在线监测设备",
            "name": "孙八",
            "contact": "13512345678",
            "files": [SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")],
        },
        format="multipart",
    )
    assert lodged.status_code == 201, lodged.json()
    assert set(lodged.json()) == {"receipt"}
    report = PublicReport.objects.get()
    assert report.evidence.count() == 1
    staff = APIClient()
    staff.force_authenticate(county_user)
    plain = staff.get(f"/api/v1/publication/reports/{report.pk}/").json()
    assert plain["reporter_name"] is None and plain["evidence"] == []
    handler = APIClient()
    handler.force_authenticate(xz_handler)
    assert (
        handler.get(f"/api/v1/publication/reports/{report.pk}/").json()["reporter_name"] == "孙八"
    )
    handled = handler.post(
        f"/api/v1/publication/reports/{report.pk}/handle/",
        {"outcome": "re_review", "note": "组织专家二次审核"},
        format="json",
    )
    assert handled.status_code == 200 and handled.json()["status"] == "closed"
    assert staff.post(
        f"/api/v1/publication/reports/{report.pk}/handle/", {"outcome": "unfounded", "note": "x"}
    ).status_code in (400, 403)
