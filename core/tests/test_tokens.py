"""API tokens end (等保三级): idle 30 minutes, an absolute lifetime, logout, password change,
deactivation; each login issues a new one; the token endpoint is throttled."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "Zx-9a!long"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(county_user):
    county_user.set_password(PASSWORD)
    county_user.save()
    return county_user


def login(user, client=None) -> str:
    response = (client or APIClient()).post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.content
    return response.json()["token"]


def api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token: str) -> bool:
    return api(token).get("/api/v1/regions/").status_code == 200


def test_each_login_issues_a_new_token_and_only_its_digest_is_stored(user):
    first, second = login(user), login(user)
    assert first != second and works(first) and works(second)
    assert not ApiToken.objects.filter(key_digest__in=[first, second]).exists()


def test_logout_ends_the_token(user):
    token = login(user)
    assert api(token).post("/api/v1/auth/logout/").status_code == 204
    response = api(token).get("/api/v1/regions/")
    assert response.status_code == 401 and "重新登录" in response.json()["detail"]


def test_web_logout_ends_every_token_of_the_account(user, client):
    token = login(user)
    client.force_login(user)
    client.post("/accounts/logout/")
    assert not works(token)


def test_password_change_ends_tokens(user):
    token = login(user)
    user.set_password("Another-9a!")
    user.save()
    assert not works(token)


def test_deactivation_ends_tokens(user):
    token = login(user)
    user.is_active = False
    user.save()
    assert not works(token)


def test_idle_tokens_end_after_thirty_minutes(user):
    token = login(user)
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        assert works(token)
    with time_machine.travel(timezone.now() + timedelta(minutes=51)):
        assert not works(token)


def test_tokens_end_at_their_absolute_lifetime_even_when_used(user, settings):
    token = login(user)
    start = timezone.now()
    hours = settings.GRADING["API_TOKEN_LIFETIME_HOURS"]
    for minutes in range(25, hours * 60, 25):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert works(token), minutes
    with time_machine.travel(start + timedelta(hours=hours, minutes=1)):
        assert not works(token)


def test_wrong_password_is_a_chinese_400_and_recorded(user):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": "nope"}
    )
    assert response.status_code == 400 and "不正确" in str(response.json())
    failed = AuditEvent.objects.get(code="account.login_failed")
    assert failed.outcome == AuditEvent.Outcome.FAILURE and failed.address == "127.0.0.1"


def test_token_endpoint_is_throttled_per_account(user, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token_account": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        codes = [
            APIClient(REMOTE_ADDR=f"10.0.0.{i}")
            .post("/api/v1/auth/token/", {"username": user.username, "password": "bad"})
            .status_code
            for i in range(5)
        ]
    finally:
        api_settings.reload()
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes[:3] == [400, 400, 400] and codes[3:] == [429, 429]
