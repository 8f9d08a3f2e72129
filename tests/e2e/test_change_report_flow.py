"""A change report in a real browser (R-ELIG-5): a graded enterprise reports that it replaced
its treatment facility, with a file, from its results page; its enterprise page shows the
pending change; the county opens the report from its inbox and acknowledges it; the pending
change is gone and the enterprise sees the county's note."""

import datetime
from pathlib import Path

import pytest

from declarations.models import ChangeReport
from grading.models import Grade, GradeRecord, Industry, Region, User
from grading.services.accounts import user_create
from grading.services.grades import grade_record_add
from tests import factories
from tests.e2e.test_appeal_flow import PDF
from tests.e2e.test_review_flow import click_and_wait, errors_on, signed_in

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ENTERPRISE = "新郑市华豫彩印包装有限公司"


@pytest.fixture
def graded_enterprise(reference_data, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    ent = factories.enterprise(county="410184", industry="N31", name=ENTERPRISE)
    grade_record_add(
        actor=None,
        enterprise=ent,
        industry=Industry.objects.get(code="N31"),
        grade=Grade.objects.get(code="B"),
        effective_from=datetime.date(2025, 6, 1),
        source=GradeRecord.Source.REVIEW,
    )
    factories.enterprise_user(ent, username="ent-hy")
    user_create(
        actor=None,
        username="county-xz",
        password=factories.PASSWORD,
        role=User.Role.COUNTY,
        full_name="张卫东",
        region=Region.objects.get(code="410184"),
    )
    return ent


def test_r_elig_5_a_change_is_reported_shown_pending_and_acknowledged(
    browser, live_server, graded_enterprise, tmp_path
):
    ARTIFACTS.mkdir(exist_ok=True)
    enterprise = graded_enterprise
    acceptance = tmp_path / "RTO验收报告.pdf"
    acceptance.write_bytes(PDF)
    enterprise_url = f"{live_server.url}/enterprises/{enterprise.pk}/"

    with signed_in(browser, live_server, "ent-hy") as page:
        nav = page.get_by_role("navigation", name="主导航")
        click_and_wait(page, nav.get_by_role("link", name="我的分级结果", exact=True))
        click_and_wait(page, page.locator("section#changes").get_by_role("link", name="报告变更"))
        page.locator("select[name='industry']").select_option(index=1)
        page.locator("select[name='kind']").select_option(label="污染治理设施变更")
        page.locator("textarea[name='description']").fill("活性炭吸附更换为RTO蓄热燃烧装置")
        page.locator("input[name='changed_on']").fill(
            (datetime.date.today() - datetime.timedelta(days=2)).isoformat()
        )
        page.locator("input#files").set_input_files(str(acceptance))
        with page.expect_navigation():
            page.get_by_role("button", name="提交变更报告").click()
        assert "变更报告已提交" in page.locator(".messages").inner_text(), errors_on(page)
        report = ChangeReport.objects.get(enterprise=enterprise)
        assert "RTO验收报告.pdf" in page.content()
        page.goto(enterprise_url)
        pending = page.locator("section#pending-changes").inner_text()
        assert report.number in pending and "待县级处理" in pending

    with signed_in(browser, live_server, "county-xz") as page:
        page.goto(f"{live_server.url}/inbox/")
        click_and_wait(page, page.get_by_role("link", name=report.number, exact=True))
        page.locator("textarea[name='note']").fill("设施升级，排放水平提高，等级不变")
        report_url = f"{live_server.url}/declarations/changes/{report.pk}/"
        click_and_wait(page, page.get_by_role("button", name="确认变更（等级不变）"), report_url)
        assert "已确认变更" in page.locator(".messages").inner_text(), errors_on(page)

    with signed_in(browser, live_server, "ent-hy") as page:
        page.goto(enterprise_url)
        assert page.locator("section#pending-changes").count() == 0
        page.goto(f"{live_server.url}/declarations/changes/{report.pk}/")
        assert (
            "设施升级，排放水平提高，等级不变"
            in page.locator("#change-status").locator("xpath=../..").inner_text()
        )
        page.screenshot(path=str(ARTIFACTS / "change_report_acknowledged.png"), full_page=True)
