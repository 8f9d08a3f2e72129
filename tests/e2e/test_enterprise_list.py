"""A county user sees only its own county's enterprises, in Chinese, in a real browser."""

from pathlib import Path

import pytest

from grading.models import User
from tests import factories

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

XINZHENG = ["新郑市甲印刷有限公司", "新郑市乙家具制造有限公司", "新郑市丙包装材料有限公司"]
ZHONGMOU = ["中牟县丁汽车配件有限公司", "中牟县戊食品有限公司"]
ZHONGYUAN = ["中原区己机械加工有限公司"]


@pytest.fixture
def enterprises(reference_data):
    created = {
        "410184": [factories.enterprise(county="410184", name=n) for n in XINZHENG],
        "410122": [factories.enterprise(county="410122", name=n) for n in ZHONGMOU],
        "410102": [factories.enterprise(county="410102", name=n) for n in ZHONGYUAN],
    }
    factories.staff_user(User.Role.COUNTY, "410184", username="county-xz")
    return created


def log_in(page, live_server, username="county-xz"):
    page.goto(live_server.url + "/accounts/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', factories.PASSWORD)
    with page.expect_navigation():
        page.click('form button[type="submit"]:has-text("登录")')
    assert page.url.rstrip("/").endswith("/inbox"), page.url


def test_county_user_sees_only_own_county_enterprises_in_chinese(page, live_server, enterprises):
    log_in(page, live_server)

    page.get_by_role("navigation").get_by_role("link", name="企业名录").click()
    table = page.locator("#enterprise-table")
    table.wait_for()

    for name in XINZHENG:
        assert page.get_by_role("link", name=name).is_visible(), name
    text = page.inner_text("body")
    for name in ZHONGMOU + ZHONGYUAN:
        assert name not in text, name
    assert "企业名录" in text
    assert "统一社会信用代码" in text

    rows = table.locator("tbody tr")
    assert rows.count() == len(XINZHENG)
    county_cells = [
        rows.nth(i).locator("td").nth(2).inner_text().strip() for i in range(rows.count())
    ]
    assert all("新郑市" in cell for cell in county_cells), county_cells

    page.evaluate("document.fonts.ready")
    assert page.evaluate("""document.fonts.check('16px "Noto Sans CJK SC"')""") is True

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "enterprise_list_county.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.exists()
    assert shot.stat().st_size > 10 * 1024


def test_county_user_gets_404_for_other_county_enterprise_page(page, live_server, enterprises):
    log_in(page, live_server)
    other = enterprises["410122"][0]

    response = page.goto(f"{live_server.url}/enterprises/{other.pk}/")

    assert response is not None
    assert response.status == 404
