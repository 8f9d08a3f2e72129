"""Sessions that must do one thing first (等保三级): an administrator or province user without a
second factor enrols one, an account whose password expired changes it; until then every other
page sends them there and the API refuses."""

import json

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

#: Pages a gated session may still open.
OPEN_URL_NAMES = {
    "login",
    "logout",
    "login-code",
    "second-factor",
    "password_change",
    "password_change_done",
    "set_language",
    "healthz",
}
GATES = {
    "enrol": ("second-factor", _("请先启用动态口令（双因素认证）")),
    "password": ("password_change", _("密码已超过有效期，请先修改密码")),
}


class AccountGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        session = getattr(request, "session", None)
        gate = session.get("account_gate") if session is not None else None
        if gate not in GATES or not request.user.is_authenticated:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in OPEN_URL_NAMES:
            return None
        url_name, message = GATES[gate]
        if request.path.startswith("/api/"):
            return HttpResponse(
                json.dumps({"detail": str(message)}, ensure_ascii=False),
                status=403,
                content_type="application/json",
            )
        return redirect(url_name)
