"""What every page of a declaration's parts shares: the steps and the refusal to edit."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from core.forms import error_text
from declarations.models import Declaration
from declarations.services.drafting import require_preparer

STEPS = [
    ("application", _("申请表")),
    ("commitments", _("承诺书")),
    ("basic", _("企业基本情况")),
    ("lines", _("生产线与工序")),
    ("production", _("产品及产能")),
    ("materials", _("原辅材料及能源")),
    ("transport", _("运输及车辆")),
    ("facilities", _("污染治理设施")),
    ("indicators", _("指标对标及证明材料")),
]
#: The tables each tabular step edits.
TABLE_OF_STEP = {
    "production": ["products"],
    "materials": ["materials"],
    "transport": ["transport", "vehicles"],
    "facilities": ["facilities"],
}


def step_context(declaration: Declaration, step: str, **extra) -> dict:
    return {"declaration": declaration, "steps": STEPS, "step": step, **extra}


def refuse_unless_preparer(request, declaration: Declaration):
    """Back to the overview, with the service's reason, unless the user may change the
    declaration (``declarations.change_declaration``); None when they may."""
    try:
        require_preparer(request.user, declaration)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, error_text(exc))
        return redirect("declarations:detail", pk=declaration.pk)
    return None
