"""The guarantee-class chain in a real browser (R-GUAR-3): a 保障类 case at the city, three
departments already on record, the city records the market-regulation department's signature
on the case page; after the city's decision the county finds the enterprise on its city's
guarantee list and removes it with a reason; the list keeps the removal with its date."""

from pathlib import Path

import pytest

from declarations.models import Declaration
from declarations.services import lifecycle
from grading.models import User
from review.models import GuaranteeCoReview
from review.services import guarantee
from review.tests import builders
from review.tests.builders import D
from tests import declaration_builders, factories
from tests.e2e.test_review_flow import click_and_wait, errors_on, signed_in

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
Dept = GuaranteeCoReview.Department


@pytest.fixture
def guarantee_at_city(reference_data, settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)
    ent = factories.enterprise(county="410184", industry="N31", name="新郑市民生食品有限公司")
    user = factories.enterprise_user(ent, username="ent-ms")
    d = declaration_builders.complete(
        declaration_builders.draft(
            user, grade="B", control_type="guarantee", guarantee_category="livelihood"
        ),
        user,
    )
    lifecycle.declaration_submit(actor=user, declaration=d)
    county = factories.staff_user(User.Role.COUNTY, "410184", username="county-xz")
    county2 = factories.staff_user(User.Role.COUNTY, "410184")
    city = factories.staff_user(User.Role.CITY, "410100", username="city-zz")
    case = builders.open_case(county, Declaration.objects.get(pk=d.pk))
    builders.county_recommend(case, [county, county2])
    case = builders.refresh(case)
    builders.city_ready_to_forward(case, city, builders.expert("N31", pool="410100"))
    for dept in (Dept.DEVELOPMENT_REFORM, Dept.INDUSTRY, Dept.COMMERCE):
        guarantee.guarantee_co_review_record(
            actor=city,
            case=case,
            department=dept,
            verdict="signed",
            signatory="某科长",
            opinion="同意",
        )
    return builders.refresh(case), city


def test_r_guar_3_city_records_a_department_and_the_county_removes_the_enterprise(
    browser, live_server, guarantee_at_city
):
    ARTIFACTS.mkdir(exist_ok=True)
    case, city = guarantee_at_city
    case_url = f"{live_server.url}/review/cases/{case.pk}/"
    with signed_in(browser, live_server, "city-zz") as page:
        page.goto(case_url)
        section = page.locator("section#guarantee")
        assert "市场监管部门" in section.inner_text()  # still to sign
        section.locator("select[name='department']").select_option(label="市场监管部门")
        section.locator("select[name='verdict']").select_option(label="同意（签署）")
        section.locator("input[name='signatory']").fill("赵处长")
        section.locator("textarea[name='opinion']").fill("企业承担全市民生保障供应任务，同意")
        click_and_wait(page, section.get_by_role("button", name="登记部门会审意见"), case_url)
        assert "部门会审意见已登记" in page.locator(".messages").inner_text(), errors_on(page)
        assert "赵处长" in page.locator("table#co-reviews").inner_text()
        assert page.locator("section#guarantee .errorlist").count() == 0
        page.screenshot(path=str(ARTIFACTS / "guarantee_co_review.png"), full_page=True)
    builders.sign(case, city, D.DECIDE, grade_code="B")

    year = case.declaration.year
    list_url = f"{live_server.url}/review/guarantee/?city=410100&year={year}"
    with signed_in(browser, live_server, "county-xz") as page:
        page.goto(list_url)
        row = page.locator("table#guarantee-table tr", has_text="新郑市民生食品有限公司")
        row.locator("input[name='reason']").fill("橙色预警期间超出保障任务范围生产")
        click_and_wait(page, row.get_by_role("button", name="移出"), list_url)
        assert "已移出保障类清单" in page.locator(".messages").inner_text(), errors_on(page)
        assert "新郑市民生食品有限公司" not in page.locator("table#guarantee-table").inner_text()
        assert "橙色预警期间超出保障任务范围生产" in page.locator("section#removed").inner_text()
