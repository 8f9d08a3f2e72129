"""The administrator's part of the list: the measure tables (R-LIST-8: templates per industry,
grade and version, an upload from the documented Excel template, a page of what is missing) and
the year's revision and adjustment windows (R-LIST-6) where they differ from the seeds' dates
(30 September, 15 November, year end)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from core.tables import TableAdmin
from emergency_list import selectors
from emergency_list.models import ListWindow, MeasureTemplate
from emergency_list.services import measure_tables
from grading.models import GradeScheme, GuidelineVersion, IndicatorSet, Industry
from grading.rules import allows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MeasureTableUploadForm(forms.Form):
    industry = forms.ModelChoiceField(queryset=Industry.objects.all(), label=_("行业"))
    guideline_version = forms.ModelChoiceField(
        queryset=GuidelineVersion.objects.all(), label=_("指南版本")
    )
    file = forms.FileField(label=_("Excel文件（.xlsx）"), required=False)


def scheme_for(industry: Industry, version: GuidelineVersion) -> GradeScheme | None:
    """The scheme of the industry's indicator set of that version (R-GRADE-7)."""
    found = (
        IndicatorSet.objects.filter(industry=industry, guideline_version=version)
        .select_related("scheme")
        .first()
    )
    return found.scheme if found else None


@admin.register(ListWindow)
class ListWindowAdmin(admin.ModelAdmin):
    list_display = ["year", "kind", "due_on"]
    list_filter = ["year", "kind"]
    ordering = ["-year", "due_on"]


@admin.register(MeasureTemplate)
class MeasureTemplateAdmin(TableAdmin, admin.ModelAdmin):
    change_list_template = "admin/emergency_list/measuretemplate/change_list.html"
    list_display = ["industry", "guideline_version", "grade", "level_from", "level_to", "action"]
    list_filter = ["guideline_version", "industry__category", "grade"]
    search_fields = ["industry__name", "industry__code", "text"]
    list_select_related = ["industry", "guideline_version", "grade"]

    def _require(self, request) -> None:
        if not allows(request.user, "emergency_list.edit_measure_tables"):
            raise PermissionDenied

    def upload_view(self, request):
        """Download the template (下载模板) or upload a filled one (上传)."""
        self._require(request)
        form = MeasureTableUploadForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            industry, version = data["industry"], data["guideline_version"]
            scheme = scheme_for(industry, version)
            if scheme is None:
                form.add_error(
                    "guideline_version",
                    _("该行业在此指南版本下尚无分级体系，请先在行业指标体系中设定"),
                )
            elif "template" in request.POST:
                content = measure_tables.table_template(
                    industry=industry, version=version, scheme=scheme
                )
                response = HttpResponse(content, content_type=XLSX)
                name = f"减排措施模板_{industry.code}_{version.code}.xlsx"
                response["Content-Disposition"] = content_disposition_header(True, name)
                return response
            elif not data["file"]:
                form.add_error("file", _("请选择要上传的Excel文件"))
            else:
                try:
                    result = measure_tables.measure_table_import(
                        actor=request.user,
                        industry=industry,
                        version=version,
                        scheme=scheme,
                        content=data["file"].read(),
                    )
                except ValidationError as exc:
                    problems = exc.messages
                else:
                    messages.success(
                        request,
                        _("已保存%(n)d条措施（替换%(r)d条）；仍缺%(m)d项")
                        % {"n": result.created, "r": result.removed, "m": len(result.missing)},
                    )
                    return redirect("admin:emergency_list_measuretemplate_completeness")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("上传行业减排措施表"),
            "form": form,
            "problems": problems,
        }
        return render(request, "admin/emergency_list/measuretemplate/upload.html", context)

    def completeness_view(self, request):
        self._require(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("行业减排措施表完整性"),
            "rows": selectors.measure_completeness(),
        }
        return render(request, "admin/emergency_list/measuretemplate/completeness.html", context)
