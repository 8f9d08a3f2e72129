from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from core.tables import TableAdmin
from grading import models, selectors
from grading.rules import allows
from grading.services import indicator_tables

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@admin.register(models.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "kind", "parent", "reviews_as_county", "is_active"]
    list_filter = ["level", "reviews_as_county", "is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(models.GuidelineVersion)
class GuidelineVersionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "issued_on"]


@admin.register(models.Grade)
class GradeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "severity", "autonomous_reduction"]


@admin.register(models.GradeScheme)
class GradeSchemeAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    filter_horizontal = ["grades"]


@admin.register(models.IndustryCategory)
class IndustryCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "seq"]


@admin.register(models.Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "seq", "gbt4754", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["code", "name"]


@admin.register(models.IndicatorCategory)
class IndicatorCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "seq"]


class IndicatorRequirementInline(admin.TabularInline):
    model = models.IndicatorRequirement
    extra = 0
    fields = ["category", "seq", "grade", "text", "verbatim", "note"]


class IndicatorSetForm(forms.ModelForm):
    """R-GRADE-7: the administrator sets each industry's scheme per guideline version; a
    scheme that lacks a grade the set's requirement texts are written for is refused."""

    class Meta:
        model = models.IndicatorSet
        fields = [
            "industry",
            "guideline_version",
            "scheme",
            "effective_from",
            "title",
            "scope",
            "source_url",
        ]

    def clean_scheme(self):
        scheme = self.cleaned_data["scheme"]
        if self.instance.pk:
            used = set(
                self.instance.requirements.exclude(grade__in=scheme.grades.all()).values_list(
                    "grade__name", flat=True
                )
            )
            if used:
                raise forms.ValidationError(
                    _("该指标体系已录入%(grades)s的指标要求，所选分级体系不含这些等级")
                    % {"grades": "、".join(sorted(used))}
                )
        return scheme


class IndicatorTableUploadForm(forms.Form):
    industry = forms.ModelChoiceField(
        queryset=models.Industry.objects.filter(is_active=True), label=_("行业")
    )
    guideline_version = forms.ModelChoiceField(
        queryset=models.GuidelineVersion.objects.all(), label=_("指南版本")
    )
    scheme = forms.ModelChoiceField(
        queryset=models.GradeScheme.objects.all(),
        label=_("分级体系"),
        required=False,
        help_text=_("该行业在此版本下尚无指标体系时必选；已有的沿用其分级体系"),
    )
    file = forms.FileField(label=_("Excel文件（.xlsx）"), required=False)


@admin.register(models.IndicatorSet)
class IndicatorSetAdmin(TableAdmin, admin.ModelAdmin):
    """R-GRADE-7: schemes per industry and version, and the indicator tables: upload from the
    documented Excel template, and a page that lists the texts still missing."""

    form = IndicatorSetForm
    change_list_template = "admin/grading/indicatorset/change_list.html"
    list_display = ["industry", "guideline_version", "scheme", "effective_from"]
    list_editable = ["scheme"]
    list_filter = ["guideline_version", "scheme", "industry__category"]
    search_fields = ["industry__name", "industry__code"]
    list_select_related = ["industry", "guideline_version", "scheme"]
    inlines = [IndicatorRequirementInline]

    def _require(self, request) -> None:
        if not allows(request.user, "grading.edit_indicator_tables"):
            raise PermissionDenied

    def upload_view(self, request):
        """Download the template (button 下载模板) or upload a filled one (上传)."""
        self._require(request)
        form = IndicatorTableUploadForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            existing = models.IndicatorSet.objects.filter(
                industry=data["industry"], guideline_version=data["guideline_version"]
            ).first()
            scheme = existing.scheme if existing else data["scheme"]
            if "template" in request.POST:
                if scheme is None:
                    form.add_error("scheme", _("请选择分级体系"))
                else:
                    content = indicator_tables.table_template(
                        industry=data["industry"], version=data["guideline_version"], scheme=scheme
                    )
                    response = HttpResponse(content, content_type=XLSX)
                    codes = f"{data['industry'].code}_{data['guideline_version'].code}"
                    name = f"指标要求模板_{codes}.xlsx"
                    response["Content-Disposition"] = content_disposition_header(True, name)
                    return response
            elif not data["file"]:
                form.add_error("file", _("请选择要上传的Excel文件"))
            else:
                try:
                    result = indicator_tables.indicator_table_import(
                        actor=request.user,
                        industry=data["industry"],
                        version=data["guideline_version"],
                        content=data["file"].read(),
                        scheme=None if existing else data["scheme"],
                    )
                except indicator_tables.IndicatorTableInvalid as exc:
                    problems = exc.messages
                except ValidationError as exc:
                    problems = exc.messages
                else:
                    messages.success(
                        request,
                        _("已保存：新增%(c)d项、修改%(u)d项、删除%(r)d项；仍缺%(m)d项原文")
                        % {
                            "c": result.created,
                            "u": result.updated,
                            "r": result.removed,
                            "m": len(result.missing),
                        },
                    )
                    return redirect("admin:grading_indicatorset_completeness")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("上传行业指标要求"),
            "form": form,
            "problems": problems,
        }
        return render(request, "admin/grading/indicatorset/upload.html", context)

    def completeness_view(self, request):
        self._require(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("行业指标要求完整性"),
            "rows": selectors.indicator_completeness(),
        }
        return render(request, "admin/grading/indicatorset/completeness.html", context)


@admin.register(models.ShareTarget)
class ShareTargetAdmin(admin.ModelAdmin):
    list_display = ["year", "category", "region", "baseline_pct", "target_pct"]
    list_filter = ["year"]


class EnterpriseIndustryInline(admin.TabularInline):
    model = models.EnterpriseIndustry
    extra = 0
    readonly_fields = ["current_grade"]


@admin.register(models.Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    """Read-mostly: enterprises are written through the site's services (audit events)."""

    list_display = ["name", "uscc", "county", "overall_grade", "production_status"]
    list_filter = ["production_status", "is_small_micro", "is_confidential"]
    search_fields = ["name", "uscc"]
    raw_id_fields = ["county"]
    readonly_fields = ["overall_grade"]
    inlines = [EnterpriseIndustryInline]
    list_select_related = ["county", "overall_grade"]


@admin.register(models.GradeRecord)
class GradeRecordAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "industry", "grade", "effective_from", "effective_to", "source"]
    raw_id_fields = ["enterprise"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "role", "region", "enterprise", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name"]
    raw_id_fields = ["region", "enterprise"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("角色与辖区"), {"fields": ["role", "full_name", "mobile", "region", "enterprise"]}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("角色与辖区"), {"fields": ["role", "full_name", "region", "enterprise"]}),
    )


@admin.register(models.ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "employer", "employer_is_service_agency", "title"]
    filter_horizontal = ["industries"]


@admin.register(models.EnterpriseRegistration)
class EnterpriseRegistrationAdmin(admin.ModelAdmin):
    list_display = ["enterprise_name", "uscc", "county", "status", "submitted_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "decided_by", "decided_at", "decision_reason"]
