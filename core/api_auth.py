"""Obtaining and ending API tokens: POST /api/v1/auth/token/ and /api/v1/auth/logout/."""

from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from core.hooks import collect
from core.middleware import client_address
from core.models import ApiToken
from core.tokens import token_issue, tokens_revoke


class TokenAddressThrottle(SimpleRateThrottle):
    """Token requests per client address."""

    scope = "token_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class TokenAccountThrottle(SimpleRateThrottle):
    """Token requests per account name, whatever address they come from."""

    scope = "token_account"

    def get_cache_key(self, request, view):
        try:
            username = str(request.data.get("username", "")).strip().lower()
        except (AttributeError, exceptions.ParseError):
            return None
        if not username:
            return None
        return self.cache_format % {"scope": self.scope, "ident": username[:150]}


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"), max_length=150)
    password = serializers.CharField(label=_("密码"), max_length=128, trim_whitespace=False)
    otp = serializers.CharField(
        label=_("动态口令"), max_length=10, required=False, allow_blank=True, default=""
    )


TokenSerializer = inline_serializer(
    "IssuedToken",
    {
        "token": serializers.CharField(),
        "expires_at": serializers.DateTimeField(),
        "idle_timeout_seconds": serializers.IntegerField(),
    },
)


class TokenObtainView(APIView):
    """Log in with username and password; answers a new token each time (the key is shown
    only here). It ends after 30 idle minutes, at ``expires_at``, on logout, on a password
    change and when the account is deactivated."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [TokenAddressThrottle, TokenAccountThrottle]

    @extend_schema(request=CredentialsSerializer, responses={201: TokenSerializer})
    def post(self, request):
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credentials = dict(serializer.validated_data)
        otp = credentials.pop("otp")
        try:
            user = authenticate(request._request, **credentials)
        except AxesBackendPermissionDenied:
            raise exceptions.PermissionDenied(
                _("登录失败次数过多，账户已临时锁定，请30分钟后再试")
            ) from None
        if getattr(request._request, "axes_locked_out", False):
            raise exceptions.PermissionDenied(_("登录失败次数过多，账户已临时锁定，请30分钟后再试"))
        if user is None:
            raise exceptions.ValidationError({"detail": [_("用户名或密码不正确")]})
        if not user.is_active:
            raise exceptions.ValidationError({"detail": [_("账户尚未启用或已停用")]})
        # Whatever the apps require of a login (a second factor, a password still valid)
        # holds for a token as for a page.
        refusals = collect("api_login_refusals", user, otp=otp)
        if refusals:
            raise exceptions.PermissionDenied(refusals[0])
        key, token = token_issue(user=user)
        return Response(
            {
                "token": key,
                "expires_at": token.expires_at,
                "idle_timeout_seconds": settings.SESSION_COOKIE_AGE,
            },
            status=status.HTTP_201_CREATED,
        )


class TokenLogoutView(APIView):
    """End the token this request was made with."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            tokens_revoke(user=request.user, reason="logout", token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
