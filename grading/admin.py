from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from grading import models


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


@admin.register(models.IndicatorSet)
class IndicatorSetAdmin(admin.ModelAdmin):
    list_display = ["industry", "guideline_version", "scheme", "effective_from"]
    list_filter = ["guideline_version", "scheme"]
    inlines = [IndicatorRequirementInline]


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
