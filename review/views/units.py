"""Technical service units (002 第二十一条; R-REV-7, R-REV-8): the list with a form to record
one, and a unit's page with its experts, the enterprises it served (within the viewer's
jurisdiction) and its blacklisting."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors, error_text
from review import forms as rforms
from review.rules import allows
from review.selectors.experts import expert_pool
from review.selectors.units import unit_blacklisting_get, unit_get, unit_list, unit_member_get
from review.services import units


@login_required
@require_http_methods(["GET", "POST"])
def unit_list_page(request):
    user = request.user
    rows = unit_list(viewer=user)
    form = rforms.UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = units.unit_create(actor=user, **form.cleaned_data)
            messages.success(request, _("技术服务单位已登记"))
            return redirect("review:unit", pk=unit.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "review/units.html", {"page": page, "form": form})


def _unit_post(request, unit, action: str, forms: dict) -> str:
    user = request.user
    form = forms.get(action)
    if form is None or not form.is_valid():
        return ""
    data = form.cleaned_data
    if action == "member":
        units.unit_member_add(actor=user, unit=unit, **data)
        return _("已登记本单位专家")
    if action == "member_end":
        member = unit_member_get(unit=unit, pk=data.pop("member"))
        units.unit_member_end(actor=user, member=member, **data)
        return _("已登记离开本单位")
    if action == "engagement":
        units.engagement_record(actor=user, unit=unit, **data)
        return _("技术服务记录已登记，该单位专家不得参与该企业的评审")
    if action == "blacklist":
        units.unit_blacklist(actor=user, unit=unit, **data)
        return _("已列入黑名单")
    entry = unit_blacklisting_get(unit=unit, pk=data["id"])
    units.unit_blacklist_lift(actor=user, entry=entry, reason=data["reason"])
    return _("已解除黑名单")


@login_required
@require_http_methods(["GET", "POST"])
def unit_detail(request, pk: int):
    user = request.user
    unit = unit_get(viewer=user, pk=pk, detail=True)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    keeps = allows(user, "review.keep_service_unit", unit)

    def bound(name):
        return request.POST if action == name else None

    forms = {
        "member": rforms.UnitMemberForm(bound("member"), experts=expert_pool(viewer=user))
        if keeps
        else None,
        "member_end": rforms.UnitMemberEndForm(bound("member_end")) if keeps else None,
        "engagement": rforms.EngagementForm(bound("engagement"))
        if allows(user, "review.record_engagement", unit)
        else None,
        "blacklist": rforms.UnitBlacklistForm(bound("blacklist")) if keeps else None,
        "lift": rforms.LiftForm(bound("lift"))
        if allows(user, "review.lift_unit_blacklisting")
        else None,
    }
    if action:
        if forms.get(action) is None:
            raise PermissionDenied(_("无权执行此操作"))
        try:
            done = _unit_post(request, unit, action, forms)
            if done:
                messages.success(request, done)
                return redirect("review:unit", pk=unit.pk)
            messages.error(request, error_text(forms[action]))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
    return render(request, "review/unit.html", {"unit": unit, "forms": forms})
