"""The second factor (TOTP, 等保三级) of administrators and province staff: enrolment and the
check of a code at login. django-otp keeps the devices and throttles wrong codes."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit import event_record
from core.models import AuditEvent
from grading.models import User
from grading.rules import allows


def second_factor_required(user: User) -> bool:
    """Whether the account must log in with a second factor (``grading.needs_second_factor``)."""
    return allows(user, "grading.needs_second_factor")


def second_factor_enrolled(user: User) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


@transaction.atomic
def totp_device_pending(*, actor: User) -> TOTPDevice:
    """The authenticator the account is enrolling (created on first call, kept until it is
    confirmed, so reloading the page keeps the same QR code)."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=actor, name="totp", confirmed=False)


@transaction.atomic
def totp_enrol_confirm(*, actor: User, code: str) -> TOTPDevice:
    """Confirm the pending authenticator with a code it shows; it replaces any earlier one."""
    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
    if device is None:
        raise ValidationError(_("请先扫描二维码添加动态口令"))
    if not device.verify_token(code.strip()):
        event_record(
            code="account.second_factor_enrol_failed",
            actor=actor,
            target=actor,
            summary=_("启用动态口令失败：口令不正确"),
            outcome=AuditEvent.Outcome.FAILURE,
        )
        raise ValidationError({"code": _("动态口令不正确，请核对手机时间后重试")})
    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    event_record(
        code="account.second_factor_enrolled",
        actor=actor,
        target=actor,
        summary=_("启用动态口令（双因素认证）"),
    )
    return device


def second_factor_verify(*, user: User, code: str) -> TOTPDevice | None:
    """The confirmed authenticator that accepts ``code``, or None (recorded as a failure)."""
    code = (code or "").strip()
    for device in devices_for_user(user, confirmed=True):
        if code and device.verify_token(code):
            return device
    event_record(
        code="account.second_factor_failed",
        actor=None,
        target=user,
        summary=_("动态口令验证失败：%(name)s") % {"name": user.username},
        outcome=AuditEvent.Outcome.FAILURE,
    )
    return None
