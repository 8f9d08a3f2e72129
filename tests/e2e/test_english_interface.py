"""The English interface: every role's navigation fits one line at 1400 px and speaks English."""

import re
from pathlib import Path

import pytest

from grading.models import User
from tests import factories

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _accounts():
    ent = factories.enterprise(name="英文界面企业有限公司")
    return {
        "enterprise": factories.enterprise_user(ent, username="en-ent"),
        "county": factories.staff_user(User.Role.COUNTY, "410184", username="en-county"),
        "city": factories.staff_user(User.Role.CITY, "410100", username="en-city"),
        "province": factories.staff_user(User.Role.PROVINCE, "410000", username="en-province"),
        "expert": factories.expert_user(),
    }


def test_english_navigation_fits_one_line_for_every_role(reference_data, browser, live_server):
    for role, user in _accounts().items():
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        page.fill('input[name="username"]', user.username)
        page.fill('input[name="password"]', factories.PASSWORD)
        with page.expect_navigation():
            page.press('input[name="password"]', "Enter")
        assert "/accounts/login" not in page.url, (role, page.url)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"english-nav-{role}.png"))
        rows = page.eval_on_selector_all(
            ".topbar .mainnav a",
            "els => els.map(e => Math.round(e.getBoundingClientRect().top))",
        )
        assert rows and len(set(rows)) == 1, (role, rows)
        # The whole bar is one row: as tall as its tallest item, not two rows of them.
        bar, tallest = page.eval_on_selector(
            ".topbar",
            "bar => [bar.getBoundingClientRect().height, Math.max(...[...bar.children].map("
            "c => c.getBoundingClientRect().height))]",
        )
        assert bar < tallest * 1.9, (role, bar, tallest)
        nav = page.locator(".mainnav").inner_text()
        assert not re.search(r"[\u4e00-\u9fff]", nav), (role, nav)
        page.click(".account summary")
        assert page.get_by_role("button", name="Log out").is_visible(), role
        context.close()
