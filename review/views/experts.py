"""The expert pool page: the experts of the viewer's pools, conflicts of interest within its
jurisdiction (R-REV-7) and the blacklist (R-REV-8)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import error_text
from review import forms as rforms
from review.rules import allows
from review.selectors.experts import blacklisting_get, expert_pool
from review.services import panels


def _post(request, action: str, form) -> str:
    """Carry out one action of the page; its success message, or "" when its form is not
    valid (the form shows why)."""
    user = request.user
    if form is None or not form.is_valid():
        return ""
    data = form.cleaned_data
    if action == "conflict":
        panels.conflict_declare(actor=user, **data)
        return _("回避关系已登记")
    if action == "blacklist":
        panels.expert_blacklist(actor=user, **data)
        return _("已列入黑名单")
    panels.expert_blacklist_lift(
        actor=user,
        entry=blacklisting_get(viewer=user, pk=data["id"]),
        reason=data["reason"],
    )
    return _("已解除黑名单")


@login_required
@require_http_methods(["GET", "POST"])
def experts(request):
    user = request.user
    pool = expert_pool(viewer=user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    conflict_form = rforms.ConflictForm(
        request.POST if action == "conflict" else None, experts=pool
    )
    blacklist_form = rforms.BlacklistForm(
        request.POST if action == "blacklist" else None, experts=pool
    )
    if action:
        lift_form = rforms.LiftForm(request.POST) if action == "lift" else None
        form = {"conflict": conflict_form, "blacklist": blacklist_form, "lift": lift_form}
        try:
            done = _post(request, action, form.get(action))
            if done:
                messages.success(request, done)
                return redirect("review:experts")
            if lift_form is not None:
                messages.error(request, error_text(lift_form))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
    page = Paginator(pool, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "review/experts.html",
        {
            "page": page,
            "conflict_form": conflict_form,
            "blacklist_form": blacklist_form,
            "can_blacklist": allows(user, "review.blacklist_expert"),
            "can_lift": allows(user, "review.lift_blacklisting"),
        },
    )
