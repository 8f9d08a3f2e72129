"""In a real browser: a visitor without an account reads the province's published A/B list,
narrows it to a city and reports an enterprise from its row (R-PUB-1, R-PUB-2); province
staff open the targets dashboard and drill into a city (R-TGT-1). Screenshots are kept in
test-artifacts/."""

from pathlib import Path

import pytest

from grading.models import GradeRecord, User
from publication.models import PublicReport
from publication.services import lists
from publication.tests import builders
from tests import factories
from tests.e2e import accounts

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
IMPORT = GradeRecord.Source.IMPORT


@pytest.fixture
def published(reference_data, monkeypatch):
    import publication.tasks
    from publication.services.downloads import version_file_render

    monkeypatch.setattr(
        publication.tasks.render_version_file, "delay", lambda pk: version_file_render(pk)
    )
    for county, name, industry, grade in (
        ("410184", "新郑市华豫彩印包装有限公司", "N31", "A"),
        ("410122", "中牟县中原铸造有限公司", "N06", "B"),
        ("410311", "洛阳嵩岳水泥有限公司", "N15", "A"),
        ("410184", "新郑市金鼎印务有限公司", "N31", "C"),
    ):
        ent = factories.enterprise(county=county, name=name, industry=industry)
        builders.decided(ent, grade, source=IMPORT)
    secret = factories.enterprise(
        county="410184", name="新郑市保密军工有限公司", is_confidential=True
    )
    builders.decided(secret, "A", source=IMPORT)
    province = builders.staff(User.Role.PROVINCE, "410000", username="prov-hn")
    lists.list_publish(actor=province, issuer=province.region, tier="province")
    builders.designated(User.Role.COUNTY, "410184", username="county-xz")
    return province


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10 * 1024


def test_a_visitor_reads_the_ab_list_and_reports_an_enterprise(page, live_server, published):
    page.goto(live_server.url + "/public/")
    page.get_by_role("link", name="绩效分级企业名单").first.click()
    page.get_by_role(
        "link", name="河南省重点行业绩效分级A级、B级（含B-级）、绩效引领性、绩效先进性企业名单"
    ).click()
    table = page.locator("#published-rows")
    table.wait_for()
    text = table.inner_text()
    for name in ("新郑市华豫彩印包装有限公司", "中牟县中原铸造有限公司", "洛阳嵩岳水泥有限公司"):
        assert name in text
    assert "新郑市金鼎印务有限公司" not in text  # C: the city's list, not the province's
    assert "新郑市保密军工有限公司" not in page.content()
    page.select_option("#id_city", "410100")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    assert "洛阳嵩岳水泥有限公司" not in table.inner_text()
    shot(page, "public_ab_list.png")

    row = table.locator("tr", has_text="新郑市华豫彩印包装有限公司")
    with page.expect_navigation():
        row.get_by_role("link", name="举报").click()
    assert page.input_value("#id_enterprise_name") == "新郑市华豫彩印包装有限公司"
    page.select_option("#id_kind", "conduct")
    page.fill("#id_content", "该企业夜间偷排，VOCs治理设施长期未运行")
    page.fill("#id_contact", "13512345678")
    shot(page, "public_report_form.png")
    with page.expect_navigation():
        page.get_by_role("button", name="提交举报").click()
    assert "举报已提交" in page.inner_text("h1")
    report = PublicReport.objects.get()
    assert report.receipt in page.inner_text("main")
    assert (report.county.code, report.reporter_contact) == ("410184", "13512345678")
    shot(page, "public_report_lodged.png")


def log_in(page, live_server, username: str) -> None:
    accounts.log_in(page, live_server.url, username)


def test_province_staff_open_the_dashboard_and_drill_into_a_city(page, live_server, published):
    log_in(page, live_server, "prov-hn")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="公开与清单").click()
    page.get_by_role("link", name="目标进展").click()
    assert "河南省重点行业绩效分级目标进展" in page.inner_text("h1")
    assert page.locator("svg").count() >= 3
    by_area = page.locator("#by-area")
    assert "郑州市" in by_area.inner_text()
    page.evaluate("document.fonts.ready")
    shot(page, "dashboard_province.png")
    with page.expect_navigation():
        by_area.get_by_role("link", name="郑州市").click()
    assert "郑州市重点行业绩效分级目标进展" in page.inner_text("h1")
    counties = page.locator("#by-area").inner_text()
    assert "新郑市" in counties and "中牟县" in counties
    assert "≥25%" in page.inner_text("#kpis")  # 001 附件2: 郑州市 25%
    shot(page, "dashboard_city.png")
