"""Field validators with Chinese messages."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc


def normalize_uscc(value: str) -> str:
    return uscc.compact(value or "")


def validate_uscc(value: str) -> None:
    """统一社会信用代码 with its GB 32100-2015 check character (python-stdnum's cn.uscc)."""
    try:
        uscc.validate(value)
    except stdnum_exceptions.InvalidChecksum as exc:
        raise ValidationError(
            _("统一社会信用代码校验位错误，请核对第18位"), code="uscc_checksum"
        ) from exc
    except stdnum_exceptions.InvalidLength as exc:
        raise ValidationError(_("统一社会信用代码应为18位"), code="uscc_length") from exc
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationError(
            _("统一社会信用代码格式不正确（应为18位数字或大写字母，不含I、O、S、V、Z）"),
            code="uscc_format",
        ) from exc
