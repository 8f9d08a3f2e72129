"""API tokens that end (等保三级): issued at login, ended by idleness, age, logout, a password
change or deactivation. Services for issuing and revoking, and the DRF authentication."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from core.audit import event_record
from core.context import current_address
from core.models import ApiToken

KEYWORD = "Token"
# last_used_at is written at most this often: one UPDATE a minute per token, not per request.
_TOUCH_EVERY = timedelta(seconds=60)


def _digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _idle() -> timedelta:
    return timedelta(seconds=settings.SESSION_COOKIE_AGE)


def _lifetime() -> timedelta:
    return timedelta(hours=settings.GRADING["API_TOKEN_LIFETIME_HOURS"])


def token_issue(*, user) -> tuple[str, ApiToken]:
    """A new token for ``user`` (never an old one returned again); the key is returned once."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        key_digest=_digest(key),
        password_digest=_digest(user.password),
        created_at=now,
        last_used_at=now,
        expires_at=now + _lifetime(),
        address=current_address() or None,
    )
    event_record(code="account.token_issued", actor=user, target=user, summary=_("签发接口令牌"))
    return key, token


def tokens_revoke(*, user, reason: str, token: ApiToken | None = None) -> int:
    """End ``token`` (or every live token of ``user``); returns how many ended."""
    qs = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if token is not None:
        qs = qs.filter(pk=token.pk)
    return qs.update(revoked_at=timezone.now(), revoked_reason=reason)


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>``; refuses ended tokens with a reason the caller can act on."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确"))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确")) from None
        token = ApiToken.objects.select_related("user").filter(key_digest=_digest(key)).first()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已注销，请重新登录获取"))
        now = timezone.now()
        user = token.user
        ended = None
        if not user.is_active:
            ended = "deactivated"
        elif not hmac.compare_digest(token.password_digest, _digest(user.password)):
            ended = "password_changed"
        elif now >= token.expires_at:
            ended = "expired"
        elif now - token.last_used_at > _idle():
            ended = "idle"
        if ended:
            tokens_revoke(user=user, reason=ended, token=token)
            raise exceptions.AuthenticationFailed(_("令牌已失效，请重新登录获取"))
        if now - token.last_used_at > _TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token

    def authenticate_header(self, request):
        return KEYWORD


def _end_tokens_of_changed_account(sender, instance, created, **kwargs) -> None:
    """A deactivated account or a changed password ends every token issued before."""
    if created:
        return
    live = ApiToken.objects.filter(user=instance, revoked_at__isnull=True)
    if not instance.is_active:
        live.update(revoked_at=timezone.now(), revoked_reason="deactivated")
    else:
        live.exclude(password_digest=_digest(instance.password)).update(
            revoked_at=timezone.now(), revoked_reason="password_changed"
        )


def connect_signals() -> None:
    post_save.connect(
        _end_tokens_of_changed_account,
        sender=get_user_model(),
        dispatch_uid="core.tokens.end_on_account_change",
    )
