"""R-TGT-4: the year's batches and deadlines; the province edits them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors
from declarations import forms as dforms
from declarations.models import Batch
from declarations.selectors import batch_get, batch_list
from declarations.services.batches import batch_save
from grading.rules import allows


@login_required
def batch_index(request):
    return render(
        request,
        "declarations/batches.html",
        {
            "batches": batch_list(),
            "can_edit": allows(request.user, "declarations.edit_batches"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def batch_edit(request, pk: int | None = None):
    if not allows(request.user, "declarations.edit_batches"):
        raise PermissionDenied(_("只有省级生态环境部门可以维护申报批次"))
    batch = batch_get(pk=pk) if pk else None
    form = dforms.BatchForm(request.POST or None, instance=batch)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            batch_save(actor=request.user, data=data, batch=batch or Batch())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("批次已保存"))
            return redirect("declarations:batches")
    return render(request, "declarations/batch_form.html", {"form": form, "batch": batch})
