"""Issue 11 item 5 in the browser: a province user's first login shows the QR code and key of
a new authenticator and opens the site only once it is bound; the next login asks the code."""

import base64

import pytest

from grading.models import User
from tests import factories
from tests.e2e import accounts

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_province_user_binds_an_authenticator_then_logs_in_with_its_code(
    page, live_server, reference_data
):
    user = factories.staff_user(User.Role.PROVINCE, "410000", username="prov-2fa")
    page.goto(live_server.url + "/accounts/login/")
    page.fill('input[name="username"]', user.username)
    page.fill('input[name="password"]', factories.PASSWORD)
    with page.expect_navigation():
        page.click('form button[type="submit"]:has-text("登录")')
    assert page.url.endswith("/accounts/second-factor/")
    assert page.locator("#totp-qr svg").count() == 1
    page.goto(live_server.url + "/enterprises/")
    assert page.url.endswith("/accounts/second-factor/")  # nothing else before binding
    key = base64.b32decode(page.inner_text("#totp-secret").strip())
    page.fill('input[name="code"]', accounts.current_code(key))
    with page.expect_navigation():
        page.click('form button[type="submit"]:has-text("绑定")')
    assert page.url.endswith("/inbox/"), page.url
    page.click(".account summary")
    page.click('form[action="/accounts/logout/"] button')
    accounts.log_in(page, live_server.url, user.username)
    assert page.url.endswith("/inbox/"), page.url
