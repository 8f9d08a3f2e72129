"""What the public writes (objections, reports) comes without an account: a rate limit per
address instead of a captcha, and nothing that identifies the writer in the audit trail.

The address is used for counting only, as a keyed digest in the cache for the length of the
window, and never stored with the objection or report (R-PUB-2: the reporter is kept secret).
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.context import current_address, request_context

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _limit(scope: str) -> tuple[int, int]:
    limits = settings.GRADING.get("PUBLIC_WRITE_LIMITS", {})
    return tuple(limits.get(scope, (5, 3600)))


def address_rate_check(scope: str) -> None:
    """Count one write of ``scope`` from the current address; refuse past the limit."""
    address = current_address()
    if not address:
        return  # not a request (a command or a task): nothing to count
    limit, seconds = _limit(scope)
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{scope}|{address}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    key = f"publication:rate:{scope}:{digest}"
    cache.add(key, 0, timeout=seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        count = 1
    if count is None:
        return  # the cache (Redis) is down: the write goes through rather than fail the page
    if count > limit:
        raise ValidationError(
            _("提交过于频繁，请稍后再试（同一网络每%(minutes)d分钟最多提交%(limit)d次）")
            % {"minutes": max(1, seconds // 60), "limit": limit},
            code="rate_limited",
        )


def receipt_new(prefix: str) -> str:
    """A public, unguessable receipt number (受理编号), not a database id."""
    return prefix + "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))


@contextmanager
def without_address() -> Iterator[None]:
    """Audit events written inside do not record the request's address (R-PUB-2)."""
    with request_context(address=""):
        yield
