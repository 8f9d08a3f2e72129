"""Issue 11 item 5 (等保三级): administrators and province staff log in with a second factor
(TOTP), passwords expire after 90 days, the last five cannot be used again and common
passwords are refused even dressed up."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from core.models import AuditEvent
from grading.models import User
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = factories.PASSWORD


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _login(client: Client, user: User, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": user.username, "password": password})


@pytest.mark.parametrize("password", ["Qwerty123!", "Password2026!", "P@ssw0rd", "Qwerty@2026"])
def test_common_passwords_are_refused_even_with_capitals_digits_and_signs(password):
    with pytest.raises(ValidationError) as exc:
        validate_password(password)
    assert "常见" in " ".join(exc.value.messages)


def test_an_uncommon_password_passes():
    validate_password("Huanbao#Zz8417")


def test_the_last_five_passwords_cannot_be_used_again(county_user):
    used = [PASSWORD] + [f"Xinmima#{n}a9Q" for n in range(1, 6)]
    for new in used[1:]:
        validate_password(new, county_user)
        county_user.set_password(new)
        county_user.save()
    for old in used[-5:]:
        with pytest.raises(ValidationError, match="最近5次"):
            validate_password(old, county_user)
    validate_password(used[0], county_user)  # six passwords ago


def test_an_expired_password_must_be_changed_before_anything_else(county_user):
    client = Client()
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        response = _login(client, county_user)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/"
        assert client.get("/enterprises/")["Location"] == "/accounts/password/"
        assert client.get("/api/v1/enterprises/").status_code == 403
        response = client.post(
            "/accounts/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "Xinmima#2a9Q",
                "new_password2": "Xinmima#2a9Q",
            },
        )
        assert response.status_code == 302
        assert client.get("/enterprises/").status_code == 200
    assert AuditEvent.objects.filter(code="account.password_changed", actor=county_user).exists()


def test_a_password_younger_than_90_days_opens_the_site(county_user):
    client = Client()
    with time_machine.travel(timezone.now() + timedelta(days=89), tick=False):
        response = _login(client, county_user)
        assert response["Location"] == "/inbox/"


@pytest.mark.parametrize("role", ["province", "admin", "security", "auditor"])
def test_staff_who_need_a_second_factor_enrol_then_log_in_with_the_code(role):
    if role == "province":
        user = factories.staff_user(User.Role.PROVINCE, "410000")
    else:
        from grading.services.accounts import user_create

        user = user_create(actor=None, username=f"{role}-x", password=PASSWORD, role=role)
    client = Client()
    # First login: the password opens only the enrolment page.
    assert _login(client, user)["Location"] == "/accounts/second-factor/"
    assert client.get("/inbox/")["Location"] == "/accounts/second-factor/"
    page = client.get("/accounts/second-factor/")
    assert "<svg" in page.content.decode() and 'id="totp-secret"' in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post("/accounts/second-factor/", {"code": "000000"}).status_code == 200
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    assert client.post("/accounts/second-factor/", {"code": _code(device)})["Location"] == (
        "/inbox/"
    )
    assert client.get("/inbox/").status_code == 200
    client.post("/accounts/logout/")

    # Next login: the password leads to the code, and only the code opens the site.
    assert _login(client, user)["Location"] == "/accounts/login/code/"
    assert client.get("/inbox/").status_code == 302  # not logged in yet
    wrong = client.post("/accounts/login/code/", {"code": "123456"})
    assert "动态口令不正确" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.last_t = -1
    device.save()
    assert client.post("/accounts/login/code/", {"code": _code(device)})["Location"] == "/inbox/"
    assert client.get("/inbox/").status_code == 200
    codes = set(AuditEvent.objects.filter(target_user_filter(user)).values_list("code", flat=True))
    assert {"account.second_factor_enrolled", "account.second_factor_failed"} <= codes


def target_user_filter(user):
    from django.db.models import Q

    return Q(actor=user) | Q(object_id=str(user.pk), code__startswith="account.")


def test_county_staff_log_in_with_the_password_alone(county_user):
    assert _login(Client(), county_user)["Location"] == "/inbox/"


def test_api_tokens_ask_the_second_factor_too():
    province = factories.staff_user(User.Role.PROVINCE, "410000")
    api = APIClient()
    data = {"username": province.username, "password": PASSWORD}
    refused = api.post("/api/v1/auth/token/", data, format="json")
    assert refused.status_code == 403 and "动态口令" in refused.json()["detail"]
    device = TOTPDevice.objects.create(user=province, name="totp", confirmed=True)
    assert api.post("/api/v1/auth/token/", {**data, "otp": "000000"}).status_code == 403
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    issued = api.post("/api/v1/auth/token/", {**data, "otp": _code(device)}, format="json")
    assert issued.status_code == 201


def test_the_admin_site_is_entered_through_the_sites_login():
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
