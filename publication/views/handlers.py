"""Designated handlers of a bureau (R-PUB-2): who they are, designating and revoking. Staff see
their own bureau; the administrator chooses the bureau (``?region=<code>``) to designate its
first handlers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import error_text
from grading.models import Region, User
from grading.rules import is_admin
from publication.forms import HandlerForm
from publication.rules import allows, refusal
from publication.selectors.handlers import designations_of
from publication.services.handlers import handler_designate, handler_revoke

_ROLE_OF_LEVEL = {
    Region.Level.PROVINCE: User.Role.PROVINCE,
    Region.Level.CITY: User.Role.CITY,
    Region.Level.COUNTY: User.Role.COUNTY,
}


def _bureau(request) -> tuple[Region | None, str]:
    """The bureau whose handlers the page shows: the viewer's own, or the one the
    administrator chose."""
    user = request.user
    if not allows(user, "publication.view_handlers"):
        raise PermissionDenied(refusal(user, "publication.view_handlers"))
    if is_admin(user):
        code = request.GET.get("region") or request.POST.get("region") or ""
        if not code:
            return None, ""
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise Http404
        role = User.Role.CITY if region.reviews_as_county else _ROLE_OF_LEVEL[region.level]
        return region, role
    return user.region, user.role


def _staff(region: Region, role: str):
    return User.objects.filter(role=role, region=region, is_active=True).order_by("username")


def _back(region: Region | None, request) -> str:
    url = reverse("publication:handlers")
    return f"{url}?region={region.code}" if region and is_admin(request.user) else url


@login_required
@require_http_methods(["GET", "POST"])
def handlers(request):
    user = request.user
    region, role = _bureau(request)
    if region is None:
        return render(
            request,
            "publication/handlers.html",
            {"regions": Region.objects.exclude(level="county").order_by("code"), "pick": True},
        )
    staff = _staff(region, role).exclude(pk=user.pk)
    form = HandlerForm(request.POST or None, users=staff)
    if request.method == "POST" and form.is_valid():
        try:
            handler_designate(actor=user, user=form.cleaned_data["user"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("已指定承办人"))
        return redirect(_back(region, request))
    return render(
        request,
        "publication/handlers.html",
        {
            "region": region,
            "designations": designations_of(region=region, role=role),
            "form": form,
            "can_designate": any(
                allows(user, "publication.designate_handler", u) for u in staff[:50]
            ),
            "is_admin": is_admin(user),
        },
    )


@login_required
@require_POST
def handler_revoke_view(request, user_pk: int):
    region, role = _bureau(request)
    if region is None:
        raise Http404
    target = get_object_or_404(_staff(region, role), pk=user_pk)
    try:
        handler_revoke(actor=request.user, user=target, reason=request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已撤销承办人指定"))
    return redirect(_back(region, request))
