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
from grading.models import Region
from review import forms as rforms
from review.rules import allows, pools_in_reach
from review.selectors import get_or_404
from review.selectors.experts import (
    active_memberships,
    blacklisting_get,
    detected_conflicts,
    expert_get,
    expert_history,
    expert_pool,
    expert_workload,
    pool_get,
)
from review.services import panels, pools, units


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
    code = request.GET.get("pool", "")
    chosen = pool_get(viewer=user, code=code) if code else None
    pool = expert_pool(viewer=user, pool=chosen)
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
            "pools": pools_in_reach(user).order_by("code"),
            "chosen_pool": chosen,
            "sees_units": allows(user, "review.view_service_units"),
        },
    )


def _expert_post(request, expert, action: str, forms: dict) -> str:
    """Carry out one action of the expert page; its success message, or "" when its form is
    not valid (the form shows why)."""
    user = request.user
    form = forms.get(action)
    if form is None or not form.is_valid():
        return ""
    data = form.cleaned_data
    if action == "pool_add":
        pools.pool_member_add(actor=user, expert=expert, pool=data["pool"])
        return _("已列入专家库")
    if action == "pool_remove":
        membership = get_or_404(
            active_memberships().filter(expert=expert).select_related("pool"), data["membership"]
        )
        pools.pool_member_remove(actor=user, membership=membership, reason=data["reason"])
        return _("已移出专家库")
    units.training_record(actor=user, expert=expert, **data)
    return _("培训记录已登记")


@login_required
@require_http_methods(["GET", "POST"])
def expert_detail(request, username: str):
    """One expert: pools, trainings, units, conflicts declared and detected (within the
    viewer's jurisdiction), blacklistings, workload and the panels it sat on."""
    user = request.user
    expert = expert_get(viewer=user, username=username)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    joined = {m.pool_id for m in expert.active_pools}
    managed = [
        p
        for p in pools_in_reach(user)
        if p.pk not in joined and allows(user, "review.manage_pool", p)
    ]
    can_train = allows(user, "review.record_training", expert)
    forms = {
        "pool_add": rforms.PoolAddForm(
            request.POST if action == "pool_add" else None,
            pools=Region.objects.filter(pk__in=[p.pk for p in managed]).order_by("code"),
        )
        if managed
        else None,
        "pool_remove": rforms.PoolRemoveForm(request.POST) if action == "pool_remove" else None,
        "training": rforms.TrainingForm(request.POST if action == "training" else None)
        if can_train
        else None,
    }
    if action:
        if action not in forms:
            raise PermissionDenied(_("无权执行此操作"))
        try:
            done = _expert_post(request, expert, action, forms)
            if done:
                messages.success(request, done)
                return redirect("review:expert", username=expert.username)
            if action == "pool_remove":
                messages.error(request, error_text(forms["pool_remove"]))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
    history = Paginator(expert_history(viewer=user, expert=expert), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "review/expert.html",
        {
            "expert": expert,
            "workload": expert_workload(expert=expert),
            "history": history,
            "detected": detected_conflicts(viewer=user, expert=expert),
            "trainings": expert.trainings.all(),
            "unit_memberships": expert.unit_memberships.select_related("unit").order_by("-since"),
            "pool_add_form": forms["pool_add"],
            "training_form": forms["training"],
            "can_remove": {
                m.pk for m in expert.active_pools if allows(user, "review.manage_pool", m.pool)
            },
        },
    )
