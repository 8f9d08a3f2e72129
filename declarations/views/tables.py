"""The declaration's tables (products, materials, transport and vehicles, facilities) and the
enterprise's production lines, processes and equipment they refer to."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors, error_text
from declarations import forms as dforms
from declarations.selectors import declaration_get
from declarations.services.tables import TABLES, EmptyTableUnconfirmed, declaration_table_save
from declarations.views.steps import TABLE_OF_STEP, refuse_unless_preparer, step_context
from grading.models import Enterprise, Equipment, Process, ProductionLine
from grading.services import lines as line_services


@login_required
@require_http_methods(["GET", "POST"])
def declaration_tables(request, pk: int, step: str):
    """A tabular step, each table edited as a whole: the rows shown are the rows saved,
    removing one is ticking its 删除 box, emptying a table is confirmed."""
    declaration = declaration_get(viewer=request.user, pk=pk)
    if refused := refuse_unless_preparer(request, declaration):
        return refused
    tables = TABLE_OF_STEP.get(step)
    if not tables:
        raise Http404
    data = request.POST if request.method == "POST" else None
    formsets = {t: dforms.table_formset(t, declaration=declaration, data=data) for t in tables}
    confirms = {t: dforms.ConfirmEmptyForm(data, prefix=f"{t}-confirm") for t in tables}
    asking = set()
    valid = all(f.is_valid() for f in [*formsets.values(), *confirms.values()])
    if request.method == "POST" and valid:
        current, saved = None, []
        try:
            with transaction.atomic():  # a step with two tables saves both or neither
                for current in tables:
                    saved.append(
                        declaration_table_save(
                            actor=request.user,
                            declaration=declaration,
                            table=current,
                            rows=formsets[current].rows(),
                            confirm_empty=confirms[current].cleaned_data["confirm_empty"],
                        )
                    )
        except EmptyTableUnconfirmed as exc:
            asking.add(exc.table)
            formsets[exc.table].add_service_errors(exc)
        except ValidationError as exc:
            formsets[current].add_service_errors(exc)
        else:
            messages.success(request, _("已保存。") + "；".join(s.summary() for s in saved))
            return redirect("declarations:detail", pk=declaration.pk)
    return render(
        request,
        "declarations/tables.html",
        step_context(
            declaration,
            step,
            tables=[
                {
                    "key": t,
                    "title": TABLES[t]._meta.verbose_name,
                    "formset": formsets[t],
                    "confirm": confirms[t] if t in asking else None,
                }
                for t in tables
            ],
        ),
    )


def _line_forms(enterprise: Enterprise, bound: dict) -> list[dict]:
    """Every line with its edit form, its processes and equipment with theirs, and the forms
    that add to them; a form just sent and refused comes back as it was sent."""

    def form(prefix, factory):
        return bound.get(prefix) or factory(prefix)

    out = []
    for line in enterprise.lines.prefetch_related("processes__equipment"):
        processes = []
        for p in line.processes.all():
            processes.append(
                {
                    "process": p,
                    "form": form(
                        f"process-{p.pk}",
                        lambda pre, p=p: dforms.ProcessForm(instance=p, prefix=pre),
                    ),
                    "equipment": [
                        {
                            "equipment": e,
                            "form": form(
                                f"equipment-{e.pk}",
                                lambda pre, e=e: dforms.EquipmentForm(instance=e, prefix=pre),
                            ),
                        }
                        for e in p.equipment.all()
                    ],
                    "new_equipment": form(
                        f"new-equipment-{p.pk}", lambda pre: dforms.EquipmentForm(prefix=pre)
                    ),
                }
            )
        out.append(
            {
                "line": line,
                "form": form(
                    f"line-{line.pk}",
                    lambda pre, line=line: dforms.ProductionLineForm(
                        instance=line, prefix=pre, enterprise=enterprise
                    ),
                ),
                "processes": processes,
                "new_process": form(
                    f"new-process-{line.pk}", lambda pre: dforms.ProcessForm(prefix=pre)
                ),
            }
        )
    return out


def _line_action(post, user, enterprise: Enterprise, action: str, target, parent):
    """The bound form ``action`` sent (None for a removal) and how to save it with its service.
    Lines, processes and equipment are looked up among the enterprise's own (404 otherwise)."""
    lines = ProductionLine.objects.filter(enterprise=enterprise)
    processes = Process.objects.filter(line__enterprise=enterprise).select_related("line")
    equipment = Equipment.objects.filter(process__line__enterprise=enterprise).select_related(
        "process__line"
    )
    if action.startswith("remove_"):
        scope = {"remove_line": lines, "remove_process": processes}.get(action, equipment)
        obj = get_object_or_404(scope, pk=target)
        return None, lambda: line_services.master_data_remove(actor=user, obj=obj)
    if action == "save_line":
        line = get_object_or_404(lines, pk=target) if target else None
        prefix = f"line-{line.pk}" if line else "new-line"
        form = dforms.ProductionLineForm(post, instance=line, prefix=prefix, enterprise=enterprise)
        return form, lambda: line_services.production_line_save(
            actor=user, enterprise=enterprise, data=form.cleaned_data, line=line
        )
    if action == "save_process":
        process = get_object_or_404(processes, pk=target) if target else None
        line = process.line if process else get_object_or_404(lines, pk=parent)
        prefix = f"process-{process.pk}" if process else f"new-process-{line.pk}"
        form = dforms.ProcessForm(post, instance=process, prefix=prefix)
        return form, lambda: line_services.process_save(
            actor=user, line=line, data=form.cleaned_data, process=process
        )
    item = get_object_or_404(equipment, pk=target) if target else None
    process = item.process if item else get_object_or_404(processes, pk=parent)
    prefix = f"equipment-{item.pk}" if item else f"new-equipment-{process.pk}"
    form = dforms.EquipmentForm(post, instance=item, prefix=prefix)
    return form, lambda: line_services.equipment_save(
        actor=user, process=process, data=form.cleaned_data, equipment=item
    )


@login_required
@require_http_methods(["GET", "POST"])
def declaration_lines(request, pk: int):
    """The enterprise's lines, processes and equipment (master data), edited from here: each
    line, process and piece of equipment has its own form to change or remove it."""
    declaration = declaration_get(viewer=request.user, pk=pk)
    if refused := refuse_unless_preparer(request, declaration):
        return refused
    enterprise = declaration.enterprise
    bound, errors = {}, []
    if request.method == "POST":
        action_form = dforms.MasterDataActionForm(request.POST)
        if not action_form.is_valid():
            raise Http404
        form, save = _line_action(
            request.POST, request.user, enterprise, **action_form.cleaned_data
        )
        try:
            if form is not None and not form.is_valid():
                raise ValidationError(error_text(form))
            save()
        except ValidationError as exc:
            if form is not None:
                if form.is_valid():
                    add_service_errors(form, exc)
                bound[form.prefix] = form
            errors = [_("未保存：") + error_text(exc)]
        else:
            messages.success(request, _("已保存"))
            return redirect("declarations:lines", pk=declaration.pk)
    new_line = bound.get("new-line") or dforms.ProductionLineForm(
        prefix="new-line", enterprise=enterprise
    )
    return render(
        request,
        "declarations/lines.html",
        step_context(
            declaration,
            "lines",
            lines=_line_forms(enterprise, bound),
            new_line=new_line,
            errors=errors,
        ),
    )
