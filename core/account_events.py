"""Logins, logouts and failed logins go on the audit trail (等保三级), and a logout ends the
account's API tokens."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.utils.translation import gettext as _

from core.audit import event_record
from core.models import AuditEvent
from core.tokens import tokens_revoke


def _logged_in(sender, request, user, **kwargs) -> None:
    event_record(code="account.login", actor=user, target=user, summary=_("登录"))


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    ended = tokens_revoke(user=user, reason="logout")
    event_record(
        code="account.logout",
        actor=user,
        target=user,
        summary=_("退出登录"),
        data={"tokens_ended": ended},
    )


def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first()
    event_record(
        code="account.login_failed",
        actor=None,
        target=user,
        summary=_("登录失败：%(name)s") % {"name": username},
        data={"username": username},
        outcome=AuditEvent.Outcome.FAILURE,
    )


def connect_signals() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="core.audit.login")
    user_logged_out.connect(_logged_out, dispatch_uid="core.audit.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="core.audit.login_failed")
