"""三员分立 (issue 11 item 4): the system administrator, the security administrator and the audit
administrator are separate roles; only the audit administrator reads the whole trail, on its
page and through the API; the security administrator reads the account-security events."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.audit import event_record
from grading.models import User
from grading.services.accounts import user_create
from tests import factories

pytestmark = pytest.mark.django_db


def _user(role: str) -> User:
    return user_create(actor=None, username=f"{role}-1", password=factories.PASSWORD, role=role)


@pytest.fixture
def trail(county_user):
    event_record(code="declaration.submitted", actor=county_user, target=None, summary="申报")
    event_record(code="account.login", actor=county_user, target=county_user, summary="登录")


def _api(user, query=""):
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/audit/events/{query}")


def _page(user, query=""):
    client = Client()
    client.force_login(user)
    return client.get(f"/audit/{query}")


def test_only_the_audit_administrator_reads_the_whole_trail(trail, county_user):
    auditor = _user(User.Role.AUDITOR)
    codes = {row["code"] for row in _api(auditor).json()["results"]}
    assert {"declaration.submitted", "account.login"} <= codes
    page = _page(auditor)
    assert page.status_code == 200
    assert "declaration.submitted" in page.content.decode()


@pytest.mark.parametrize("role", ["admin", "province", "county"])
def test_the_system_administrator_and_bureaus_do_not_read_the_trail(trail, role, county_user):
    user = {
        "admin": factories.admin_user,
        "province": lambda: factories.staff_user(User.Role.PROVINCE, "410000"),
        "county": lambda: county_user,
    }[role]()
    assert _api(user).status_code == 404
    assert _page(user).status_code == 404


def test_the_security_administrator_reads_account_events_only(trail):
    security = _user(User.Role.SECURITY)
    codes = {row["code"] for row in _api(security).json()["results"]}
    assert "account.login" in codes
    assert "declaration.submitted" not in codes


def test_filters_narrow_the_trail_and_malformed_ones_are_400(trail, county_user):
    auditor = _user(User.Role.AUDITOR)
    rows = _api(auditor, f"?code=declaration.&actor={county_user.username}").json()["results"]
    assert [r["code"] for r in rows] == ["declaration.submitted"]
    assert _api(auditor, "?since=abc").status_code == 400
    assert _page(auditor, "?since=abc&outcome=zzz").status_code == 200


def test_the_admin_site_does_not_show_the_trail():
    client = Client()
    client.force_login(factories.admin_user())
    assert client.get("/admin/core/auditevent/").status_code == 404
