"""An appeal in a real browser (R-REV-10): the county downgraded a B enterprise to C; the
enterprise asks the city to re-review it with its reasons and a file; the grade stays C while
the city re-reviews; the city signs the change back to B; the enterprise sees each step and its
grade is B again."""

import datetime
import re
from pathlib import Path

import pytest

from grading.models import Grade, GradeRecord, Industry, Region, User, ViolationRecord
from grading.services.accounts import user_create
from grading.services.grades import grade_record_add
from grading.services.violations import violation_record_add
from review.models import Appeal, DowngradeCase
from review.services import downgrades
from tests import factories
from tests.e2e.test_review_flow import click_and_wait, errors_on, signed_in

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ENTERPRISE = "新郑市华豫彩印包装有限公司"
REASONS = "超标系在线监测设备故障所致，第三方比对监测显示排放达标。"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n166\n%%EOF\n"
)


@pytest.fixture
def appeal_setup(reference_data, settings, tmp_path):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
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

    def staff(username, name, role, region):
        return user_create(
            actor=None,
            username=username,
            password=factories.PASSWORD,
            role=role,
            full_name=name,
            region=Region.objects.get(code=region),
        )

    county = staff("county-xz", "张卫东", User.Role.COUNTY, "410184")
    county2 = staff("county-xz2", "刘芳", User.Role.COUNTY, "410184")
    staff("city-zz", "王志强", User.Role.CITY, "410100")
    today = datetime.date.today()
    violation_record_add(
        actor=county,
        enterprise=ent,
        data={
            "kind": ViolationRecord.Kind.EXCEEDING_PERMIT,
            "occurred_on": today - datetime.timedelta(days=6),
            "decided_on": today - datetime.timedelta(days=2),
            "description": "在线监测显示颗粒物小时浓度超标",
        },
    )
    downgrades.downgrade_decide(
        actor=county,
        case=DowngradeCase.objects.get(enterprise=ent),
        outcome=DowngradeCase.Outcome.DOWNGRADE,
        grade=Grade.objects.get(code="C"),
        summary="超标属实。",
        conclusion="降为C级。",
        signers=[county, county2],
    )
    yield ent
    app.conf.task_always_eager = previous


def enterprise_grade(page, live_server, enterprise) -> str:
    page.goto(f"{live_server.url}/enterprises/{enterprise.pk}/")
    return (
        page.locator("dl.facts dt", has_text="企业绩效等级")
        .locator("xpath=following-sibling::dd[1]")
        .inner_text()
    )


def test_an_appeal_is_filed_re_reviewed_and_signed_by_the_city(
    browser, live_server, appeal_setup, tmp_path
):
    ARTIFACTS.mkdir(exist_ok=True)
    enterprise = appeal_setup
    evidence = tmp_path / "比对监测报告.pdf"
    evidence.write_bytes(PDF)

    # 1. The enterprise files the appeal with its reasons and a file.
    with signed_in(browser, live_server, "ent-hy") as page:
        nav = page.get_by_role("navigation", name="主导航")
        click_and_wait(page, nav.get_by_role("link", name="复核申请", exact=True))
        row = page.locator("section#appealable tr", has_text="降级处理决定")
        assert "C级" in row.inner_text()
        with page.expect_navigation():
            row.get_by_role("link", name="申请复核").click()
        page.locator("textarea[name='reasons']").fill(REASONS)
        page.locator("input#files").set_input_files(str(evidence))
        with page.expect_navigation():
            page.get_by_role("button", name="提交复核申请").click()
        assert "复核申请已提交" in page.locator(".messages").inner_text(), errors_on(page)
        appeal = Appeal.objects.get(enterprise=enterprise)
        appeal_url = f"{live_server.url}/review/appeals/{appeal.pk}/"
        assert page.url == appeal_url
        assert "市级复核中" in page.locator(".decl-head").inner_text()
        assert "比对监测报告.pdf" in page.locator("section#request").inner_text()
        assert "C级" in enterprise_grade(page, live_server, enterprise)

    # 2. The city re-reviews and signs the change back to B.
    with signed_in(browser, live_server, "city-zz") as page:
        page.goto(appeal_url)
        decide = page.locator("section#decide")
        decide.locator("select[name='d-outcome']").select_option(label="变更绩效等级")
        decide.locator("select[name='d-grade']").select_option(label="A级")
        decide.locator("textarea[name='d-summary']").fill("比对监测报告显示排放达标。")
        decide.locator("textarea[name='d-conclusion']").fill("撤销降级，恢复B级。")
        click_and_wait(page, decide.get_by_role("button", name="签署"), appeal_url)
        assert "省级认定" in page.locator("section#decide").inner_text(), errors_on(page)
        decide = page.locator("section#decide")
        decide.locator("select[name='d-grade']").select_option(label="B级")
        click_and_wait(page, decide.get_by_role("button", name="签署"), appeal_url)
        assert "意见已签署" in page.locator(".messages").inner_text(), errors_on(page)
        page.locator("article.opinion a.form-download").first.wait_for(
            state="visible", timeout=120_000
        )

    # 3. The enterprise sees each step and holds B again.
    with signed_in(browser, live_server, "ent-hy") as page:
        page.goto(appeal_url)
        steps = page.locator("section#steps").inner_text()
        assert re.search(r"申请市级复核.*市级复核决定：变更绩效等级（B级）", steps, re.S), steps
        assert "已作出复核决定" in page.locator(".decl-head").inner_text()
        page.screenshot(path=str(ARTIFACTS / "appeal_decided.png"), full_page=True)
        assert "B级" in enterprise_grade(page, live_server, enterprise)
