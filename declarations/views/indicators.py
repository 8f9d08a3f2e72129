"""The comparison table (指标对标表) with its evidence, and serving evidence files."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.downloads import file_download
from core.forms import add_service_errors, error_text
from declarations import forms as dforms
from declarations.models import Declaration, Evidence
from declarations.selectors import declaration_get, evidence_get, indicator_row_list
from declarations.services.indicators import (
    EvidenceUpload,
    IndicatorPageRefused,
    IndicatorRowChange,
    indicator_page_save,
)
from declarations.views.steps import refuse_unless_preparer, step_context
from grading.rules import allows

#: Where the page scrolls back to after a save: the row (or the other materials) whose
#: button was clicked.
ANCHOR = re.compile(r"row-\d+|others")


def _page_forms(declaration: Declaration, data=None, files=None) -> tuple[list[dict], object]:
    """Per row: its form, the upload form for a new file, a replace form per current file.
    One page form holds them all, so any of its buttons saves everything typed and chosen."""
    items = []
    for row in indicator_row_list(declaration):
        current = [e for e in row.evidence.all() if e.is_current]
        items.append(
            {
                "row": row,
                "form": dforms.IndicatorRowForm(data, instance=row, prefix=f"r{row.pk}"),
                "upload": dforms.EvidenceFileForm(data, files, prefix=f"u{row.pk}"),
                "evidence": [
                    {
                        "evidence": e,
                        "replace": dforms.EvidenceFileForm(data, files, prefix=f"x{e.pk}"),
                    }
                    for e in current
                ],
                "replaced": [e for e in row.evidence.all() if not e.is_current],
            }
        )
    other = dforms.OtherEvidenceForm(data, files, prefix="other")
    return items, other


def _upload(form, **extra) -> EvidenceUpload:
    d = form.cleaned_data
    fields = {"title": d.get("title", ""), "is_confidential": d.get("is_confidential", False)}
    return EvidenceUpload(upload=d["file"], **{**fields, **extra})


def _changes(items: list[dict], other) -> tuple[list[IndicatorRowChange], list, dict]:
    """What the page asks to save, and which form each change came from (for its errors)."""
    changes, forms_of = [], {}
    for item in items:
        form, upload_form = item["form"], item["upload"]
        uploads = []
        if upload_form.cleaned_data.get("file"):
            uploads.append(_upload(upload_form))
            forms_of[uploads[-1]] = upload_form
        for e in item["evidence"]:
            if e["replace"].cleaned_data.get("file"):
                uploads.append(
                    _upload(e["replace"], title=e["evidence"].title, replaces=e["evidence"])
                )
                forms_of[uploads[-1]] = e["replace"]
        # A row the page did not show (regenerated since) is not taken as emptied.
        shown = form.add_prefix("statement") in form.data
        values = form.cleaned_data if shown and form.has_changed() else None
        if values is None and not uploads:
            continue
        change = IndicatorRowChange(row=item["row"], values=values, uploads=tuple(uploads))
        changes.append(change)
        forms_of[change] = form
    others = []
    if other.cleaned_data.get("file"):
        others.append(_upload(other, section=other.cleaned_data["section"]))
        forms_of[others[-1]] = other
    return changes, others, forms_of


@login_required
@require_http_methods(["GET", "POST"])
def declaration_indicators(request, pk: int):
    """Each row's statement, self-assessment and files. Everything typed and every file chosen
    on the page is saved together by any of its buttons (保存, 上传, 全部保存); when something
    is refused nothing is saved and the page comes back as it was sent, with the reasons."""
    user = request.user
    declaration = declaration_get(viewer=user, pk=pk)
    posting = request.method == "POST"
    if posting and (back := refuse_unless_preparer(request, declaration)):
        return back
    items, other = _page_forms(
        declaration, request.POST if posting else None, request.FILES if posting else None
    )
    refused = False
    if posting:
        forms = [other, *(f for i in items for f in (i["form"], i["upload"]))]
        forms += [e["replace"] for i in items for e in i["evidence"]]
        if all(f.is_valid() for f in forms):
            changes, others, forms_of = _changes(items, other)
            try:
                saved = indicator_page_save(
                    actor=user, declaration=declaration, rows=changes, others=others
                )
            except IndicatorPageRefused as exc:
                for item, error in exc.failures:
                    add_service_errors(forms_of[item], error)
                refused = True
            except ValidationError as exc:
                messages.error(request, _("未保存：") + error_text(exc))
                return redirect("declarations:indicators", pk=pk)
            else:
                messages.success(request, saved.summary())
                anchor = request.POST.get("go", "")
                target = reverse("declarations:indicators", args=[pk])
                return redirect(target + (f"#{anchor}" if ANCHOR.fullmatch(anchor) else ""))
        else:
            refused = True
    if refused:
        messages.error(request, _("未保存：请按标出的提示修改；已选择的文件需要重新选择后再保存"))
    others = declaration.evidence.filter(indicator_row__isnull=True).select_related("replaced_by")
    return render(
        request,
        "declarations/indicators.html",
        step_context(
            declaration,
            "indicators",
            items=items,
            other_form=other,
            others=others,
            editable=allows(user, "declarations.change_declaration", declaration),
        ),
    )


@login_required
def evidence_download(request, pk: int):
    """Evidence is served only here, after the same scoping as its declaration."""
    evidence: Evidence = evidence_get(viewer=request.user, pk=pk)
    response = file_download(
        request,
        target=evidence,
        kind="evidence",
        file=evidence.file.open("rb"),
        as_attachment=evidence.kind not in ("pdf", "jpeg", "png"),
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
