"""A downgrade case in a real browser (R-DYN-1): the county records an exceeding-limits
violation on a B enterprise's page, which opens a downgrade case; two county staff sign the
decision (four-eyes) to downgrade it to C; the worker renders the decision form; the enterprise
sees the decision with its appeal deadline and its grade is C."""

import datetime
import re
import subprocess
from pathlib import Path

import pytest

from grading.models import Grade, GradeRecord, Industry, Region, User
from grading.services.accounts import user_create
from grading.services.grades import grade_record_add
from review.models import DowngradeCase
from tests import factories
from tests.e2e.test_review_flow import click_and_wait, errors_on, signed_in

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ENTERPRISE = "新郑市华豫彩印包装有限公司"
FORM_TIMEOUT_MS = 120_000
CONCLUSION = "企业颗粒物排放超标，降为C级。"


@pytest.fixture
def downgrade_setup(reference_data, settings, tmp_path):
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
        source_ref="SB2025000123",
    )
    factories.enterprise_user(ent, username="ent-hy")
    for username, name in (("county-xz", "张卫东"), ("county-xz2", "刘芳")):
        user_create(
            actor=None,
            username=username,
            password=factories.PASSWORD,
            role=User.Role.COUNTY,
            full_name=name,
            region=Region.objects.get(code="410184"),
        )
    yield ent
    app.conf.task_always_eager = previous


def test_a_violation_opens_a_downgrade_case_decided_four_eyes(
    browser, live_server, downgrade_setup
):
    ARTIFACTS.mkdir(exist_ok=True)
    enterprise = downgrade_setup
    today = datetime.date.today()

    with signed_in(browser, live_server, "county-xz") as page:
        # 1. The violation is recorded on the enterprise's page.
        page.goto(f"{live_server.url}/enterprises/{enterprise.pk}/")
        section = page.locator("section#violations")
        section.locator("select[name='kind']").select_option(label="超过许可排放浓度或排放量")
        section.locator("input[name='occurred_on']").fill(
            (today - datetime.timedelta(days=8)).isoformat()
        )
        section.locator("input[name='decided_on']").fill(
            (today - datetime.timedelta(days=1)).isoformat()
        )
        section.locator("input[name='document_no']").fill("新环罚〔2026〕12号")
        section.locator("textarea[name='description']").fill("在线监测显示颗粒物小时浓度超标")
        with page.expect_navigation():
            section.get_by_role("button", name="登记").click()
        assert "超过许可排放浓度或排放量" in page.locator("section#violations").inner_text()

        # 2. A downgrade case was opened: it is in the county's list.
        nav = page.get_by_role("navigation", name="主导航")
        click_and_wait(page, nav.get_by_role("link", name="动态降级", exact=True))
        case = DowngradeCase.objects.get(enterprise=enterprise)
        row = page.locator("#downgrade-table tr", has_text=case.number)
        assert "超标排放" in row.inner_text() and "县级处理" in row.inner_text()
        case_url = f"{live_server.url}/review/downgrades/{case.pk}/"
        click_and_wait(page, row.get_by_role("link", name=case.number), case_url)

        # 3. One signer is refused (four-eyes); two sign the downgrade to C.
        decide = page.locator("section#decide")
        decide.locator("select[name='d-outcome']").select_option(label="降为指定等级")
        decide.locator("select[name='d-grade']").select_option(label="C级")
        decide.locator("textarea[name='d-summary']").fill("经核实，企业颗粒物排放超标属实。")
        decide.locator("textarea[name='d-conclusion']").fill(CONCLUSION)
        click_and_wait(page, decide.get_by_role("button", name="签署"), case_url)
        assert "四眼原则" in page.locator("section#decide").inner_text(), errors_on(page)
        decide = page.locator("section#decide")
        decide.get_by_label(re.compile(r"^\s*刘芳（")).check()
        click_and_wait(page, decide.get_by_role("button", name="签署"), case_url)
        assert "意见已签署" in page.locator(".messages").inner_text(), errors_on(page)
        head = page.locator(".decl-head").inner_text()
        assert "已作出处理决定" in head and "降为指定等级" in head, head

        # 4. The worker rendered the decision form.
        link = page.locator("article.opinion a.form-download").first
        link.wait_for(state="visible", timeout=FORM_TIMEOUT_MS)
        page.screenshot(path=str(ARTIFACTS / "downgrade_case.png"), full_page=True)
        with page.expect_download() as download_info:
            link.click()
        pdf = ARTIFACTS / "downgrade_decision.pdf"
        download_info.value.save_as(str(pdf))
        text = re.sub(
            r"\s+",
            "",
            subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout,
        )
        assert "绩效等级动态调整处理决定书" in text and CONCLUSION in text and ENTERPRISE in text

    # 5. The enterprise sees the decision and its appeal deadline; its grade is C.
    with signed_in(browser, live_server, "ent-hy") as page:
        page.goto(case_url)
        head = page.locator(".decl-head").inner_text()
        due = DowngradeCase.objects.get(pk=case.pk).appeal_due
        assert f"可于{due:%Y-%m-%d}前向市级申请复核" in head.replace(" ", ""), head
        assert page.locator("section#decide").count() == 0
        page.goto(f"{live_server.url}/enterprises/{enterprise.pk}/")
        grade = page.locator("dl.facts dt", has_text="企业绩效等级").locator(
            "xpath=following-sibling::dd[1]"
        )
        assert "C级" in grade.inner_text()
