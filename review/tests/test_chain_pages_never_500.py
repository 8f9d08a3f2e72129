"""The pages and API of change reports, re-application, the guarantee chain and case evidence
answer every role, a missing id and a malformed parameter with a page, a 4xx or a redirect,
never a 500."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from review.tests import builders
from tests import factories

pytestmark = pytest.mark.django_db

GETS = [
    "/declarations/changes/",
    "/declarations/changes/new/",
    "/declarations/changes/999999/",
    "/declarations/changes/files/999999/download/",
    "/review/reapply/?year=abc&page=x",
    "/review/guarantee/?city=zzz&year=abc",
    "/review/guarantee/?year=1",
    "/review/rectification-photos/999999/",
    "/review/cases/999999/evidence/1/",
    "/api/v1/declarations/change-reports/",
    "/api/v1/declarations/change-reports/999999/",
    "/api/v1/review/reapplications/?year=abc",
    "/api/v1/review/guarantee/?city=zzz",
    "/api/v1/review/guarantee/reports/?year=abc",
    "/api/v1/review/cases/999999/evidence/",
]
POSTS = [
    "/declarations/changes/new/",
    "/declarations/changes/999999/",
    "/review/change-reports/999999/re-review/",
    "/review/reapply/decide/",
    "/review/guarantee/",
    "/review/cases/999999/co-review/",
    "/api/v1/declarations/change-reports/",
    "/api/v1/declarations/change-reports/999999/acknowledge/",
    "/api/v1/review/change-reports/999999/re-review/",
    "/api/v1/review/reapplications/decide/",
    "/api/v1/review/guarantee/remove/",
    "/api/v1/review/guarantee/report/",
    "/api/v1/review/guarantee/cases/999999/co-review/",
]
BAD_BODY = {"year": "abc", "city": "zzz", "declaration": "x", "enterprise": "x", "note": ""}


@pytest.fixture
def users(enterprise_user, county_user, city_user, province_user):
    return [
        None,
        enterprise_user,
        county_user,
        city_user,
        province_user,
        builders.expert("N31"),
        factories.admin_user(),
    ]


def test_every_role_gets_no_500_from_the_chain_urls(users):
    for user in users:
        page, api = Client(raise_request_exception=False), APIClient()
        api.raise_request_exception = False
        if user is not None:
            page.force_login(user)
            api.force_authenticate(user)
        for url in GETS:
            client = api if url.startswith("/api/") else page
            status = client.get(url).status_code
            assert status < 500, (url, user, status)
        for url in POSTS:
            if url.startswith("/api/"):
                status = api.post(url, BAD_BODY, format="json").status_code
            else:
                status = page.post(url, BAD_BODY).status_code
            assert status < 500, (url, user, status)
