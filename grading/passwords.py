"""Password rules of 等保 level 3: three of four character classes, no common password even
dressed up ("Qwerty123!"), none of the last five again, and a new one every 90 days."""

import re
import string
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

#: Passwords kept against reuse, and the days a password lasts.
HISTORY_SIZE = 5


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    @staticmethod
    def classes_in(password: str) -> int:
        checks = (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(c in string.punctuation or not c.isalnum() for c in password),
        )
        return sum(checks)

    def validate(self, password: str, user=None) -> None:
        if self.classes_in(password) < self.min_classes:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、特殊字符中的至少%(n)d类")
                % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("密码至少8位，且包含大写字母、小写字母、数字、特殊字符中的至少%(n)d类") % {
            "n": self.min_classes
        }


class CommonPatternValidator(CommonPasswordValidator):
    """Django's list of 20,000 common passwords, also under the capitals, digits and signs
    that class rules make people add: "Qwerty123!" is "qwerty123", "Password2026!" is
    "password"."""

    def validate(self, password: str, user=None) -> None:
        letters_digits = re.sub(r"[^0-9a-z]", "", password.lower())
        letters = re.sub(r"\d+$", "", letters_digits)
        candidates = {password.lower().strip(), letters_digits}
        # A common word of six letters or more under added digits ("Password2026!"); a short
        # one ("demo") with digits and signs is not on any list of its own.
        if len(letters) >= 6:
            candidates.add(letters)
        if any(c and c in self.passwords for c in candidates):
            raise ValidationError(_("该密码过于常见，请换一个"), code="password_too_common")

    def get_help_text(self) -> str:
        return _("不能使用常见密码")


def _recent_hashes(user) -> list[str]:
    from grading.models import PasswordHistory

    hashes = list(
        PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[:HISTORY_SIZE]
    )
    if user.password and user.password not in hashes:
        hashes.insert(0, user.password)
    return hashes[:HISTORY_SIZE]


class PasswordHistoryValidator:
    """None of the account's last five passwords again; each new one is remembered."""

    def validate(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        if any(check_password(password, h) for h in _recent_hashes(user)):
            raise ValidationError(
                _("不能使用最近%(n)d次用过的密码") % {"n": HISTORY_SIZE}, code="password_reused"
            )

    def password_changed(self, password: str, user=None) -> None:
        from grading.models import PasswordHistory

        if user is not None and user.pk is not None:
            PasswordHistory.objects.create(user=user, password=user.password)

    def get_help_text(self) -> str:
        return _("不能使用最近%(n)d次用过的密码") % {"n": HISTORY_SIZE}


def password_expires_at(user):
    """When the account's password ends: ``PASSWORD_MAX_AGE_DAYS`` after it was set."""
    from grading.models import PasswordHistory

    last = PasswordHistory.objects.filter(user=user).values_list("changed_at", flat=True).first()
    return (last or user.date_joined) + timedelta(days=settings.GRADING["PASSWORD_MAX_AGE_DAYS"])


def password_expired(user) -> bool:
    return timezone.now() >= password_expires_at(user)
