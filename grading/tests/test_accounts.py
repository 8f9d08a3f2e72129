"""Accounts: login lockout, password policy, idle sessions, logout, password change and the
enterprise self-registration that the county approves (R-DECL-1, R-ELIG-6, 等保三级)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from grading.models import Enterprise, EnterpriseRegistration, Industry, Region, User
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = factories.PASSWORD
LOCKED_TEXT = "该账户连续5次登录失败，已锁定30分钟"
INVALID_LOGIN_TEXT = "用户名或密码错误。连续5次错误将锁定账户30分钟。"
INACTIVE_TEXT = "账户尚未启用：注册申请正在等待所属县级生态环境部门审核。"
TOO_SIMPLE_TEXT = "密码须包含大写字母、小写字母、数字、特殊字符中的至少3类"


def login(client: Client, username: str, password: str = PASSWORD, ip: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def assert_logged_in(response) -> None:
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("inbox")


def assert_locked(response) -> None:
    assert response.status_code == 429
    body = response.content.decode()
    assert "账户已锁定" in body and LOCKED_TEXT in body
    assert "_auth_user_id" not in response.wsgi_request.session


def fail_times(username: str, n: int, ip: str = "10.0.0.1"):
    response = None
    for _ in range(n):
        response = login(Client(), username, "Wrong-pass-1", ip=ip)
    return response


def registration_data(**overrides) -> dict:
    data = {
        "username": "xinzheng_print",
        "password1": "Qiye@2026pw",
        "password2": "Qiye@2026pw",
        "uscc": factories.valid_uscc("410184"),
        "enterprise_name": "新郑市彩印包装有限公司",
        "county": Region.objects.get(code="410184").pk,
        "industry": Industry.objects.get(code="N31").pk,
        "address": "新郑市龙湖镇工业园1号",
        "contact_person": "张三",
        "contact_mobile": "13812345678",
    }
    data.update(overrides)
    return data


def register(client: Client, **overrides):
    data = registration_data(**overrides)
    return data, client.post(reverse("register"), data)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


# --- 1. login lockout -------------------------------------------------------------------


def test_wrong_password_shows_chinese_message_and_is_counted(enterprise_user):
    response = login(Client(), enterprise_user.username, "Wrong-pass-1")
    assert response.status_code == 200
    assert INVALID_LOGIN_TEXT in response.content.decode()
    assert AccessAttempt.objects.filter(username=enterprise_user.username).exists()


def test_five_failures_lock_the_account_even_with_right_password_and_other_ip(
    frozen, enterprise_user, county_user
):
    for _ in range(4):
        response = login(Client(), enterprise_user.username, "Wrong-pass-1", ip="10.0.0.1")
        assert response.status_code == 200
        assert INVALID_LOGIN_TEXT in response.content.decode()
    assert_locked(login(Client(), enterprise_user.username, "Wrong-pass-1", ip="10.0.0.1"))

    # The right password does not help, from the same address or from another one.
    assert_locked(login(Client(), enterprise_user.username, ip="10.0.0.1"))
    assert_locked(login(Client(), enterprise_user.username, ip="192.168.7.9"))

    # The county bureau shares the address: its other accounts still log in.
    assert_logged_in(login(Client(), county_user.username, ip="10.0.0.1"))


def test_failures_from_different_addresses_add_up_on_the_account(enterprise_user):
    for i in range(5):
        response = login(Client(), enterprise_user.username, "Wrong-pass-1", ip=f"10.0.0.{i + 1}")
    assert_locked(response)
    assert_locked(login(Client(), enterprise_user.username, ip="172.16.0.1"))


def test_account_stays_locked_within_30_minutes(frozen, enterprise_user):
    assert_locked(fail_times(enterprise_user.username, 5))
    frozen.shift(timedelta(minutes=29, seconds=59))
    assert_locked(login(Client(), enterprise_user.username, ip="10.0.0.2"))


def test_lock_lifts_after_30_minutes(frozen, enterprise_user):
    assert_locked(fail_times(enterprise_user.username, 5))
    assert_locked(login(Client(), enterprise_user.username))
    frozen.shift(timedelta(minutes=30, seconds=1))
    assert_logged_in(login(Client(), enterprise_user.username, ip="10.0.0.2"))


def test_retry_during_lockout_does_not_extend_the_30_minutes(frozen, enterprise_user):
    """The lock page promises 30 minutes and says "请稍后再试": a user who tries again with the
    right password during the lock is still let in 30 minutes after the lock began."""
    assert_locked(fail_times(enterprise_user.username, 5))
    frozen.shift(timedelta(minutes=20))
    assert_locked(login(Client(), enterprise_user.username))
    frozen.shift(timedelta(minutes=10, seconds=1))
    assert_logged_in(login(Client(), enterprise_user.username))


def test_successful_login_resets_the_failure_count(frozen, enterprise_user):
    fail_times(enterprise_user.username, 4)
    assert_logged_in(login(Client(), enterprise_user.username))
    response = fail_times(enterprise_user.username, 4)
    assert response.status_code == 200 and INVALID_LOGIN_TEXT in response.content.decode()
    assert_logged_in(login(Client(), enterprise_user.username))


# --- 2. password policy -----------------------------------------------------------------


def _codes(password: str, user=None) -> set[str]:
    with pytest.raises(ValidationError) as exc:
        validate_password(password, user)
    return {e.code for e in exc.value.error_list}


def test_password_shorter_than_8_is_refused():
    assert "password_too_short" in _codes("Ab1!xyz")  # 7 characters, 4 classes
    with pytest.raises(ValidationError) as exc:
        validate_password("Ab1!xyz")
    assert any("8" in m for m in exc.value.messages)


@pytest.mark.parametrize(
    "password",
    ["zhqxwrtk58", "ZHQXWRTK58", "zhqxWRTKpm", "zhqx#&!%mp", "58137249@#"],
    ids=["lower+digit", "upper+digit", "lower+upper", "lower+special", "digit+special"],
)
def test_password_of_two_classes_is_refused_in_chinese(password):
    with pytest.raises(ValidationError) as exc:
        validate_password(password)
    assert exc.value.messages == [TOO_SIMPLE_TEXT]
    assert {e.code for e in exc.value.error_list} == {"password_too_simple"}


@pytest.mark.parametrize(
    "password",
    ["zhqxWRTK58", "zhqx#wrt58", "ZHQX#WRT58", "zhqx#WRTkm", "Ab1!xyzw"],
    ids=["lower+upper+digit", "lower+special+digit", "upper+special+digit", "no-digit", "8-long"],
)
def test_password_of_three_classes_is_accepted(password):
    validate_password(password)


def test_registration_with_too_simple_password_shows_error_and_creates_nothing(client):
    users_before = User.objects.count()
    data, response = register(client, password1="zhqxwrtk58", password2="zhqxwrtk58")
    assert response.status_code == 200
    form = response.context["form"]
    assert TOO_SIMPLE_TEXT in form.errors["password1"]
    assert TOO_SIMPLE_TEXT in response.content.decode()
    assert User.objects.count() == users_before
    assert not User.objects.filter(username=data["username"]).exists()
    assert not EnterpriseRegistration.objects.filter(uscc=data["uscc"]).exists()


def test_registration_with_short_password_creates_nothing(client):
    data, response = register(client, password1="Ab1!xyz", password2="Ab1!xyz")
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not User.objects.filter(username=data["username"]).exists()


# --- 3. idle session expiry -------------------------------------------------------------


def test_idle_session_expires_after_30_minutes_and_requests_renew_it(frozen, county_user):
    client = Client()
    assert_logged_in(login(client, county_user.username))
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    inbox = reverse("inbox")

    frozen.shift(timedelta(minutes=29))
    response = client.get(inbox)
    assert response.status_code == 200
    session = Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert session.expire_date == timezone.now() + timedelta(minutes=30)

    frozen.shift(timedelta(minutes=29))  # 58 minutes after login, 29 after the last request
    assert client.get(inbox).status_code == 200

    frozen.shift(timedelta(minutes=31))  # no request for 31 minutes
    response = client.get(inbox)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in response.wsgi_request.session
    # The browser still sent its cookie: it is the server that ended the session.
    assert response.wsgi_request.COOKIES[settings.SESSION_COOKIE_NAME] == key
    assert not Session.objects.filter(session_key=key, expire_date__gt=timezone.now()).exists()


# --- 4. logout --------------------------------------------------------------------------


def test_logout_deletes_the_session_on_the_server(county_user):
    client = Client()
    assert_logged_in(login(client, county_user.username))
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=old_key).exists()
    assert client.get(reverse("inbox")).status_code == 200

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert not Session.objects.filter(session_key=old_key).exists()

    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_key
    response = replay.get(reverse("inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- 5. password change -----------------------------------------------------------------


def test_password_change_with_compliant_password(enterprise_user):
    client = Client()
    assert_logged_in(login(client, enterprise_user.username))
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Xin#mima2026",
            "new_password2": "Xin#mima2026",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    enterprise_user.refresh_from_db()
    assert enterprise_user.check_password("Xin#mima2026")
    # The session survives the change, and the new password is the one that logs in.
    assert client.get(reverse("inbox")).status_code == 200
    assert login(Client(), enterprise_user.username).status_code == 200
    assert_logged_in(login(Client(), enterprise_user.username, "Xin#mima2026"))


@pytest.mark.parametrize(
    "new,word", [("zhqxwrtk58", TOO_SIMPLE_TEXT), ("Ab1!xyz", "8")], ids=["simple", "short"]
)
def test_password_change_refuses_weak_password(enterprise_user, new, word):
    client = Client()
    client.force_login(enterprise_user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["new_password2"]
    assert any(word in e for e in errors)
    assert word in response.content.decode()
    enterprise_user.refresh_from_db()
    assert enterprise_user.check_password(PASSWORD)
    assert not enterprise_user.check_password(new)


def test_password_change_requires_the_old_password(enterprise_user):
    client = Client()
    client.force_login(enterprise_user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "Wrong-pass-1",
            "new_password1": "Xin#mima2026",
            "new_password2": "Xin#mima2026",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    enterprise_user.refresh_from_db()
    assert enterprise_user.check_password(PASSWORD)


# --- 6. self-registration ---------------------------------------------------------------


def test_registration_approved_by_county_enables_the_account(
    client, county_user, other_county_user
):
    data, response = register(client)
    assert response.status_code == 200
    assert "注册申请已提交" in response.content.decode()
    assert "新郑市" in response.content.decode()

    user = User.objects.get(username=data["username"])
    assert not user.is_active and user.role == User.Role.ENTERPRISE
    assert user.enterprise is None and user.region is None
    assert user.check_password(data["password1"])
    reg = EnterpriseRegistration.objects.get(user=user)
    assert reg.status == EnterpriseRegistration.Status.PENDING
    assert reg.uscc == data["uscc"] and reg.county.code == "410184"
    assert reg.industry.code == "N31" and reg.enterprise is None
    assert not Enterprise.objects.filter(uscc=data["uscc"]).exists()
    assert AuditEvent.objects.filter(code="registration.submitted", object_id=str(reg.pk)).exists()

    # Not yet usable: the login form says why.
    response = login(Client(), data["username"], data["password1"])
    assert response.status_code == 200
    assert INACTIVE_TEXT in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session

    # The neighbouring county neither sees nor reaches it.
    other = Client()
    other.force_login(other_county_user)
    assert data["uscc"] not in other.get(reverse("inbox")).content.decode()
    decide_url = reverse("registration-decide", args=[reg.pk])
    assert other.get(decide_url).status_code == 404
    assert other.post(decide_url, {"decision": "approve"}).status_code == 404
    reg.refresh_from_db()
    assert reg.status == EnterpriseRegistration.Status.PENDING

    # Its own county sees it in the inbox and approves it.
    county = Client()
    county.force_login(county_user)
    inbox = county.get(reverse("inbox")).content.decode()
    assert "企业账户注册审核" in inbox
    assert data["enterprise_name"] in inbox and data["uscc"] in inbox
    assert decide_url in inbox
    assert county.get(decide_url).status_code == 200
    response = county.post(decide_url, {"decision": "approve", "reason": ""})
    assert response.status_code == 302 and response["Location"] == reverse("inbox")
    assert "已通过注册申请，企业账户已启用" in county.get(reverse("inbox")).content.decode()

    reg.refresh_from_db()
    user.refresh_from_db()
    enterprise = Enterprise.objects.get(uscc=data["uscc"])
    assert enterprise.name == data["enterprise_name"]
    assert enterprise.county.code == "410184"
    assert enterprise.industries.filter(industry__code="N31").exists()
    assert user.is_active and user.enterprise == enterprise
    assert reg.status == EnterpriseRegistration.Status.APPROVED
    assert reg.enterprise == enterprise and reg.decided_by == county_user
    assert reg.decided_at is not None
    event = AuditEvent.objects.get(code="registration.approved", object_id=str(reg.pk))
    assert event.actor == county_user

    # No longer pending: gone from the inbox.
    assert data["uscc"] not in county.get(reverse("inbox")).content.decode()

    # And the enterprise logs in.
    assert_logged_in(login(Client(), data["username"], data["password1"]))


def test_registration_for_a_known_enterprise_binds_to_it(client, county_user, enterprise):
    data, response = register(client, uscc=enterprise.uscc, enterprise_name=enterprise.name)
    assert response.status_code == 200 and "注册申请已提交" in response.content.decode()
    reg = EnterpriseRegistration.objects.get(user__username=data["username"])
    assert reg.enterprise == enterprise
    count = Enterprise.objects.count()

    county = Client()
    county.force_login(county_user)
    county.post(reverse("registration-decide", args=[reg.pk]), {"decision": "approve"})
    reg.user.refresh_from_db()
    assert reg.user.is_active and reg.user.enterprise == enterprise
    assert Enterprise.objects.count() == count


def test_rejecting_needs_a_reason(client, county_user):
    data, _ = register(client)
    reg = EnterpriseRegistration.objects.get(user__username=data["username"])
    county = Client()
    county.force_login(county_user)
    url = reverse("registration-decide", args=[reg.pk])

    for blank in ("", "   "):
        response = county.post(url, {"decision": "reject", "reason": blank})
        assert response.status_code == 200
        assert "请填写不予通过的理由" in response.content.decode()
        reg.refresh_from_db()
        assert reg.status == EnterpriseRegistration.Status.PENDING
    assert not AuditEvent.objects.filter(code="registration.rejected").exists()

    response = county.post(url, {"decision": "reject", "reason": "营业执照信息与申报不符"})
    assert response.status_code == 302
    reg.refresh_from_db()
    reg.user.refresh_from_db()
    assert reg.status == EnterpriseRegistration.Status.REJECTED
    assert reg.decision_reason == "营业执照信息与申报不符"
    assert not reg.user.is_active and reg.user.enterprise is None
    assert not Enterprise.objects.filter(uscc=data["uscc"]).exists()
    event = AuditEvent.objects.get(code="registration.rejected", object_id=str(reg.pk))
    assert event.reason == "营业执照信息与申报不符"

    # Decided: it cannot be approved afterwards.
    response = county.post(url, {"decision": "approve"})
    reg.refresh_from_db()
    assert reg.status == EnterpriseRegistration.Status.REJECTED
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(code="registration.approved").exists()


def test_registration_with_wrong_uscc_check_character_creates_nothing(client):
    good = factories.valid_uscc("410184")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    users, regs = User.objects.count(), EnterpriseRegistration.objects.count()
    data, response = register(client, uscc=bad)
    assert response.status_code == 200
    assert "统一社会信用代码校验位错误，请核对第18位" in response.content.decode()
    assert response.context["form"].errors["uscc"]
    assert User.objects.count() == users
    assert EnterpriseRegistration.objects.count() == regs
    assert not User.objects.filter(username=data["username"]).exists()


def test_registration_of_known_uscc_with_other_name_is_refused(client, enterprise):
    users, regs = User.objects.count(), EnterpriseRegistration.objects.count()
    data, response = register(client, uscc=enterprise.uscc, enterprise_name="冒名顶替有限公司")
    assert response.status_code == 200
    assert "企业名称或所属县区与已登记的信息不一致" in response.content.decode()
    assert response.context["form"].errors["enterprise_name"]
    assert User.objects.count() == users
    assert EnterpriseRegistration.objects.count() == regs


def test_registration_of_known_uscc_in_other_county_is_refused(client, enterprise):
    data, response = register(
        client,
        uscc=enterprise.uscc,
        enterprise_name=enterprise.name,
        county=Region.objects.get(code="410122").pk,
    )
    assert response.status_code == 200
    assert "企业名称或所属县区与已登记的信息不一致" in response.content.decode()
    assert not User.objects.filter(username=data["username"]).exists()


def test_second_pending_registration_for_same_uscc_is_refused(client):
    data, _ = register(client)
    _, response = register(Client(), username="another_user", uscc=data["uscc"])
    assert response.status_code == 200
    assert "该企业已有待审核的注册申请" in response.content.decode()
    assert not User.objects.filter(username="another_user").exists()
    assert EnterpriseRegistration.objects.filter(uscc=data["uscc"]).count() == 1


def test_registration_with_taken_username_is_refused(client, enterprise_user):
    _, response = register(client, username=enterprise_user.username.upper())
    assert response.status_code == 200
    assert "该用户名已被使用" in response.content.decode()
    assert not EnterpriseRegistration.objects.exists()


# --- 7. R-ELIG-6 ------------------------------------------------------------------------


def test_r_elig_6_registration_asks_no_fee(client):
    response = client.get(reverse("register"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "不收取任何费用" in body
    form = response.context["form"]
    words = ("fee", "pay", "charge", "price", "amount", "费用", "缴费", "付款", "支付", "收费")
    for name, field in form.fields.items():
        text = f"{name} {field.label} {field.help_text}".lower()
        assert not any(w in text for w in words), name
    assert set(form.fields) == {
        "username",
        "password1",
        "password2",
        "uscc",
        "enterprise_name",
        "county",
        "industry",
        "address",
        "contact_person",
        "contact_mobile",
    }
