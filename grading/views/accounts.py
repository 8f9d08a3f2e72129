"""Logging in (password, then the second factor where the account needs one), enrolling an
authenticator and changing an expired password (等保三级)."""

import base64
import time

import segno
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from core.audit import event_record
from core.forms import add_service_errors
from grading.forms import LoginForm, SecondFactorForm
from grading.models import User
from grading.passwords import password_expired
from grading.services.second_factor import (
    second_factor_enrolled,
    second_factor_required,
    second_factor_verify,
    totp_device_pending,
    totp_enrol_confirm,
)

#: Session keys: a password login waiting for its code, and what must be done before anything
#: else (``grading.middleware.AccountGateMiddleware``).
PENDING_KEY = "login_pending"
GATE_KEY = "account_gate"
#: Minutes between the password and the code.
PENDING_MINUTES = 5


def _safe_next(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return reverse("inbox")


def _open_gates(request, user: User) -> str | None:
    """After a login: an account that must have a second factor and has none enrols first; an
    expired password is changed first."""
    gate = None
    if second_factor_required(user) and not second_factor_enrolled(user):
        gate = "enrol"
    elif password_expired(user):
        gate = "password"
    if gate:
        request.session[GATE_KEY] = gate
    return gate


def _gate_redirect(gate: str):
    if gate == "enrol":
        return redirect("second-factor")
    return redirect("password_change")


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if second_factor_enrolled(user):
            # The password was right; the session starts only with the code.
            self.request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "next": self.get_redirect_url(),
            }
            return redirect("login-code")
        response = super().form_valid(form)
        gate = _open_gates(self.request, user)
        return _gate_redirect(gate) if gate else response


def login_code(request):
    """The second step of a login: the code of the account's authenticator."""
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_MINUTES * 60:
        request.session.pop(PENDING_KEY, None)
        messages.error(request, _("登录已超时，请重新输入用户名和密码"))
        return redirect("login")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
        device = user and second_factor_verify(user=user, code=form.cleaned_data["code"])
        if device:
            request.session.pop(PENDING_KEY, None)
            auth_login(request, user, backend=pending["backend"])
            otp_login(request, device)
            gate = _open_gates(request, user)
            return _gate_redirect(gate) if gate else redirect(_safe_next(request, pending["next"]))
        form.add_error("code", _("动态口令不正确"))
    return render(request, "registration/login_code.html", {"form": form})


@login_required
def second_factor(request):
    """Enrol an authenticator app: scan the QR code (or type the key), confirm with a code."""
    user: User = request.user
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = totp_enrol_confirm(actor=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            otp_login(request, device)
            request.session.pop(GATE_KEY, None)
            messages.success(request, _("已启用动态口令，今后登录时须输入动态口令"))
            gate = _open_gates(request, user)
            return _gate_redirect(gate) if gate else redirect("inbox")
    device = totp_device_pending(actor=user)
    return render(
        request,
        "registration/second_factor.html",
        {
            "form": form,
            "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4),
            "secret": base64.b32encode(device.bin_key).decode(),
            "enrolled": second_factor_enrolled(user),
            "required": second_factor_required(user),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page, recorded; it lifts the gate of an expired password."""

    def form_valid(self, form):
        response = super().form_valid(form)
        if self.request.session.get(GATE_KEY) == "password":
            self.request.session.pop(GATE_KEY, None)
        event_record(
            code="account.password_changed",
            actor=self.request.user,
            target=self.request.user,
            summary=_("修改密码"),
        )
        return response
