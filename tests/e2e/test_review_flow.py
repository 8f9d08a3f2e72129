"""A submitted B-grade declaration walks the review chain in a real browser: county first
review (group-signed, R-REV-5), city panel and on-site verification with a rectification that
blocks forwarding until verified (R-DECL-6), the enterprise's rectification report, the
expert's verification, the city's forwarding and the province's confirmation, with the
approval form PDF of the province opinion."""

import datetime
import re
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from declarations.services import lifecycle
from grading.models import Industry, Region, User
from grading.services.accounts import user_create
from review.models import ReviewCase
from review.services.pools import pool_member_add
from tests import declaration_builders, factories
from tests.e2e import accounts
from tests.e2e.test_declaration_flow import png_bytes

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ENTERPRISE = "新郑市华豫彩印包装有限公司"
LEGAL = "王建国"
FORM_TIMEOUT_MS = 120_000

NAMES = {
    "county-xz": "张卫东",
    "county-xz2": "刘芳",
    "city-zz": "王志强",
    "prov-hn": "赵立新",
    "expert-yin": "尹春华",
}
RECTIFICATION = "完善VOCs治理设施运行台账"
PROVINCE_CONCLUSION = "经省级复核，该企业各项差异化指标达到B级要求，确认其绩效等级为B级。"


@pytest.fixture
def review_setup(reference_data, settings, tmp_path):
    """A complete, submitted B-grade declaration and the users of the whole chain; Celery runs
    in-process for the live server."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True

    ent = factories.enterprise(
        county="410184", industry="N31", name=ENTERPRISE, legal_representative=LEGAL
    )
    ent_user = factories.enterprise_user(ent, username="ent-hy")
    declaration = declaration_builders.draft(ent_user, grade="B")
    declaration = declaration_builders.complete(declaration, ent_user, evidence_rows=2)
    lifecycle.declaration_submit(actor=ent_user, declaration=declaration)

    def staff(username, role, region):
        return user_create(
            actor=None,
            username=username,
            password=factories.PASSWORD,
            role=role,
            full_name=NAMES[username],
            region=Region.objects.get(code=region),
        )

    users = {
        "county-xz": staff("county-xz", User.Role.COUNTY, "410184"),
        "county-xz2": staff("county-xz2", User.Role.COUNTY, "410184"),
        "city-zz": staff("city-zz", User.Role.CITY, "410100"),
        "prov-hn": staff("prov-hn", User.Role.PROVINCE, "410000"),
        "expert-yin": user_create(
            actor=None,
            username="expert-yin",
            password=factories.PASSWORD,
            role=User.Role.EXPERT,
            full_name=NAMES["expert-yin"],
            expert={
                "employer": "郑州大学",
                "title": "教授",
                "industries": [Industry.objects.get(code="N31")],
            },
        ),
    }
    # The city forms its panels from its own pool and the provincial one.
    pool_member_add(
        actor=factories.admin_user(),
        expert=users["expert-yin"],
        pool=Region.objects.get(code="410100"),
    )
    yield {"enterprise": ent, "declaration": declaration, "users": users}
    app.conf.task_always_eager = previous


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "现场核查照片.png"
    path.write_bytes(png_bytes())
    return path


@contextmanager
def signed_in(browser, live_server, username):
    """A fresh browser context (no cookies of the previous user) logged in as ``username``."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        accounts.log_in(page, live_server.url, username)
        assert "/accounts/login" not in page.url, page.url
        yield page
    finally:
        context.close()


def errors_on(page) -> str:
    return " | ".join(page.locator(".errorlist, .messages").all_inner_texts())


def click_and_wait(page, locator, expected_url: str | None = None):
    with page.expect_navigation():
        locator.click()
    if expected_url is not None:
        current = page.url.split("#")[0]
        assert current == expected_url, f"{current} != {expected_url}: {errors_on(page)}"


def open_review_queue(page):
    nav = page.get_by_role("navigation", name="主导航")
    click_and_wait(page, nav.get_by_role("link", name="审核", exact=True))
    assert page.get_by_role("heading", level=1).inner_text().startswith("审核工作台")


def open_case_from_queue(page, case_url: str):
    cases = page.locator("#case-table")
    click_and_wait(page, cases.get_by_role("link", name=ENTERPRISE), case_url)


def signer(section, username: str):
    """The signer checkbox of a user, found by the name shown in its label."""
    return section.get_by_label(re.compile(r"^\s*" + NAMES[username] + "（"))


def fill_verdicts(section):
    """符合 for every applicable row; the rows the enterprise marked 不涉及 come preset."""
    rows = section.locator("table.verdicts tbody tr")
    assert rows.count() > 2
    preset = 0
    for i in range(rows.count()):
        row = rows.nth(i)
        verdict = row.locator("select")
        if row.locator("td").nth(1).inner_text().strip().startswith("不涉及"):
            assert verdict.input_value() == "na"
            preset += 1
        else:
            assert verdict.input_value() == ""
            verdict.select_option(label="符合")
    return preset


def fill_decision(page, decision: str, summary: str, conclusion: str):
    section = page.locator("section#decision")
    section.locator("select[name='d-decision']").select_option(label=decision)
    section.locator("select[name='d-grade']").select_option(label="B级")
    section.locator("textarea[name='d-summary']").fill(summary)
    section.locator("textarea[name='d-conclusion']").fill(conclusion)
    return section


def test_declaration_walks_the_whole_chain_as_four_users(browser, live_server, review_setup, photo):
    ARTIFACTS.mkdir(exist_ok=True)
    declaration = review_setup["declaration"]
    enterprise = review_setup["enterprise"]
    today = datetime.date.today()
    due = today + datetime.timedelta(days=10)

    # 1. County first review, signed by two county staff (R-REV-5).
    with signed_in(browser, live_server, "county-xz") as page:
        open_review_queue(page)
        waiting = page.locator("section#waiting tr", has_text=ENTERPRISE)
        assert waiting.count() == 1
        click_and_wait(page, waiting.get_by_role("button", name="受理并初审"))
        assert re.search(r"/review/cases/\d+/$", page.url), f"{page.url}: {errors_on(page)}"
        case_url = page.url
        case = ReviewCase.objects.get(declaration=declaration)
        assert case_url == f"{live_server.url}/review/cases/{case.pk}/"
        assert "已受理，开始初审" in page.locator(".messages").inner_text()

        section = page.locator("section#decision")
        assert fill_verdicts(section) > 0
        fill_decision(
            page,
            "初审通过，报市级审核",
            "申报材料齐全，差异化指标对标情况与证明材料一致。",
            "初审通过，建议评为B级，报市级审核。",
        )
        assert signer(section, "county-xz").is_checked()
        signer(section, "county-xz2").check()
        click_and_wait(page, section.get_by_role("button", name="签署审核意见"), case_url)
        assert "审核意见已签署" in page.locator(".messages").inner_text(), errors_on(page)
        first = page.locator("article.opinion").last
        assert "县级初审意见" in first.locator("h3").inner_text()
        assert NAMES["county-xz2"] in first.inner_text()
        assert "市级审核" in page.locator(".decl-head").inner_text()

    # 2. City: the panel, the on-site verification with one rectification; forwarding is
    #    refused while the rectification is not verified.
    with signed_in(browser, live_server, "city-zz") as page:
        open_review_queue(page)
        open_case_from_queue(page, case_url)

        panel = page.locator("section#panel")
        signer(panel, "expert-yin").check()
        click_and_wait(page, panel.get_by_role("button", name="组建专家组"), case_url)
        assert "专家组已组建" in page.locator(".messages").inner_text(), errors_on(page)
        assert NAMES["expert-yin"] in page.locator("section#panel").inner_text()

        onsite = page.locator("section#onsite")
        onsite.locator("input[name='o-visited_on']").fill(today.isoformat())
        onsite.locator("select[name='o-recommended_grade']").select_option(label="B级")
        onsite.locator("textarea[name='o-summary']").fill(
            "专家组现场查看了凹版印刷线及VOCs治理设施，设施运行正常，在线监测数据达标。"
        )
        onsite.locator("textarea[name='o-conclusion']").fill(
            "现场情况与申报材料一致，建议评为B级；运行台账需完善。"
        )
        onsite.locator("textarea[name='o-rectifications']").fill(
            f"{RECTIFICATION}|{due.isoformat()}"
        )
        assert signer(onsite, "city-zz").is_checked()
        signer(onsite, "expert-yin").check()
        onsite.locator("input#photos").set_input_files(str(photo))
        fill_verdicts(onsite)
        click_and_wait(page, onsite.get_by_role("button", name="签署现场核查意见"), case_url)
        assert "现场核查意见已记录" in page.locator(".messages").inner_text(), errors_on(page)
        assert "现场核查意见" in page.locator("article.opinion").last.locator("h3").inner_text()
        rect_row = page.locator("section#rectifications tbody tr", has_text=RECTIFICATION)
        assert "待整改" in rect_row.inner_text()
        assert due.isoformat() in rect_row.inner_text()

        section = fill_decision(
            page,
            "审核通过，报省级复核",
            "专家组资料审核和现场核查均已完成。",
            "审核通过，建议评为B级，报省级复核。",
        )
        click_and_wait(page, section.get_by_role("button", name="签署审核意见"), case_url)
        refusal = page.locator("section#decision ul.errorlist").inner_text()
        assert "整改" in refusal and "未核实" in refusal, refusal
        case.refresh_from_db()
        assert case.stage == ReviewCase.Stage.CITY

    # 3. The enterprise reports what it rectified.
    with signed_in(browser, live_server, "ent-hy") as page:
        page.goto(case_url)
        row = page.locator("section#rectifications tbody tr", has_text=RECTIFICATION)
        row.locator("input[name='note']").fill("已建立VOCs治理设施运行台账，逐日记录运行参数。")
        click_and_wait(page, row.get_by_role("button", name="提交"), case_url)
        assert "已保存" in page.locator(".messages").inner_text(), errors_on(page)
        row = page.locator("section#rectifications tbody tr", has_text=RECTIFICATION)
        assert "企业已整改" in row.inner_text()
        assert page.locator("section#decision, section#onsite").count() == 0

    # 4. The panel's expert verifies it.
    with signed_in(browser, live_server, "expert-yin") as page:
        open_review_queue(page)
        open_case_from_queue(page, case_url)
        row = page.locator("section#rectifications tbody tr", has_text=RECTIFICATION)
        row.locator("input[name='note']").fill("现场复核，运行台账已完善。")
        click_and_wait(page, row.get_by_role("button", name="核实"), case_url)
        assert "已保存" in page.locator(".messages").inner_text(), errors_on(page)
        row = page.locator("section#rectifications tbody tr", has_text=RECTIFICATION)
        assert "已核实" in row.inner_text()

    # 5. The city forwards to the province.
    with signed_in(browser, live_server, "city-zz") as page:
        page.goto(case_url)
        section = fill_decision(
            page,
            "审核通过，报省级复核",
            "专家组资料审核和现场核查均已完成，整改已核实。",
            "审核通过，建议评为B级，报省级复核。",
        )
        click_and_wait(page, section.get_by_role("button", name="签署审核意见"), case_url)
        assert "审核意见已签署" in page.locator(".messages").inner_text(), errors_on(page)
        assert "省级复核" in page.locator(".decl-head").inner_text()

    # 6. The province confirms B; the approval form of its opinion carries its conclusion.
    with signed_in(browser, live_server, "prov-hn") as page:
        open_review_queue(page)
        open_case_from_queue(page, case_url)
        section = fill_decision(
            page,
            "确认等级",
            "市级审核及专家组现场核查材料完整，整改已核实。",
            PROVINCE_CONCLUSION,
        )
        assert signer(section, "prov-hn").is_checked()
        click_and_wait(page, section.get_by_role("button", name="签署审核意见"), case_url)
        assert "审核意见已签署" in page.locator(".messages").inner_text(), errors_on(page)
        head = page.locator(".decl-head").inner_text()
        assert "已认定" in head, head
        assert re.search(r"认定等级\s*B级", head), head
        assert page.locator("section#decision").count() == 0

        province_opinion = page.locator("article.opinion").last
        assert "省级复核意见" in province_opinion.locator("h3").inner_text()
        link = province_opinion.locator("a.form-download").first
        link.wait_for(state="visible", timeout=FORM_TIMEOUT_MS)
        page.evaluate("document.fonts.ready")
        shot = ARTIFACTS / "review_case_province.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10 * 1024

        with page.expect_download() as download_info:
            link.click()
        form_pdf = ARTIFACTS / "approval_form.pdf"
        download_info.value.save_as(str(form_pdf))
        assert form_pdf.read_bytes().startswith(b"%PDF-")

        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(form_pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        flat = re.sub(r"\s+", "", text)
        assert ENTERPRISE in flat
        assert PROVINCE_CONCLUSION in flat
        prefix = ARTIFACTS / "approval_form_page"
        for old in ARTIFACTS.glob(prefix.name + "*.png"):
            old.unlink()
        subprocess.run(
            ["pdftoppm", "-f", "1", "-l", "1", "-png", "-r", "60", str(form_pdf), str(prefix)],
            check=True,
            timeout=120,
        )
        pages = sorted(ARTIFACTS.glob(prefix.name + "*.png"))
        assert len(pages) == 1 and pages[0].stat().st_size > 0, pages

        # 7. The enterprise now holds B.
        page.goto(f"{live_server.url}/enterprises/{enterprise.pk}/")
        grade = page.locator("dl.facts dt", has_text="企业绩效等级").locator(
            "xpath=following-sibling::dd[1]"
        )
        assert "B级" in grade.inner_text()
