"""Logging in as a user clicks it, second factor included: a first login of an administrator
or province user enrols the authenticator shown on the page (its key read from the page, as
a phone would from the QR code), a later one types the code the authenticator shows."""

import base64
import time

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories


def current_code(key: bytes) -> str:
    return f"{totp(key, step=30, t0=0, digits=6):06d}"


def log_in(page, base_url: str, username: str, password: str = factories.PASSWORD) -> None:
    page.goto(base_url + "/accounts/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    with page.expect_navigation():
        page.click('form button[type="submit"]:has-text("登录")')
    if "/accounts/second-factor/" in page.url:
        key = base64.b32decode(page.inner_text("#totp-secret").strip())
        page.fill('input[name="code"]', current_code(key))
        with page.expect_navigation():
            page.click('form button[type="submit"]:has-text("绑定")')
    elif "/accounts/login/code/" in page.url:
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        step = int(time.time()) // 30
        if device.last_t >= step:  # a code is accepted once: wait for the next one
            time.sleep((step + 1) * 30 - time.time() + 0.5)
        page.fill('input[name="code"]', current_code(device.bin_key))
        with page.expect_navigation():
            page.click('form button[type="submit"]:has-text("登录")')
