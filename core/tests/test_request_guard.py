"""Malformed or oversized requests are refused before any view reads them (security audit)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/enterprises/?q=a%00b",
        "/api/v1/enterprises/?search=a%00b",
        "/api/v1/list/entries/?search=a%00b",
        "/api/v1/declarations/?status=a%00b",
        "/declarations/?q=%00",
        "/list/ratio/?scope=41%0001",
    ],
)
def test_nul_byte_in_a_query_parameter_is_a_400_not_a_server_error(client, county_user, url):
    client.force_login(county_user)
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert "不允许的字符" in response.json()["detail"]
    else:
        assert "请求有误" in response.content.decode()


def test_a_body_over_the_cap_is_refused_by_its_declared_length(client, county_user, settings):
    settings.GRADING = {**settings.GRADING, "MAX_REQUEST_MB": 1}
    client.force_login(county_user)
    response = client.generic(
        "POST",
        "/api/v1/enterprises/",
        b"x" * 10,
        content_type="application/json",
        CONTENT_LENGTH=str(59 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "过大" in response.json()["detail"]


def test_every_page_carries_a_content_security_policy(client, county_user):
    client.force_login(county_user)
    for url in ("/inbox/", "/accounts/login/", "/api/v1/enterprises/", "/no-such-page/"):
        policy = Client().get(url).headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_the_base_layout_has_no_inline_script(client, county_user):
    client.force_login(county_user)
    page = client.get("/inbox/").content.decode()
    assert "onchange=" not in page and "<script>" not in page


def test_missing_and_forbidden_pages_speak_chinese_in_the_site_layout(client, county_user):
    client.force_login(county_user)
    page = client.get("/enterprises/999999999/")
    assert page.status_code == 404
    assert "页面不存在" in page.content.decode() and "topbar" in page.content.decode()
