"""The bureau's published list: what changed since its latest version, its versions, and
publishing a new one (R-PUB-1)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import error_text
from publication.forms import PublishForm
from publication.rules import issuer_for
from publication.services.lists import list_publish


@login_required
@require_POST
def list_publish_view(request):
    mine = issuer_for(request.user)
    form = PublishForm(request.POST)
    form.is_valid()
    try:
        if mine is None:
            raise PermissionDenied(_("只有名单的发布单位可以发布新版本"))
        version = list_publish(
            actor=request.user,
            issuer=mine[0],
            tier=mine[1],
            note=form.cleaned_data.get("note", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        if version is None:
            messages.info(request, _("名单内容与最新版本相同，未生成新版本"))
        else:
            messages.success(request, _("已发布名单第%(n)d版") % {"n": version.number})
    return redirect("publication:notices")
