from django.contrib import admin

from declarations import models


@admin.register(models.Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["year", "name", "deadline", "includes_guarantee"]
    list_filter = ["year"]
    filter_horizontal = ["categories"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Declarations are written by their services only (state machine, audit events)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    list_display = ["number", "enterprise", "industry", "year", "requested_grade", "status"]
    list_filter = ["status", "year", "control_type"]
    search_fields = ["number", "enterprise__name", "enterprise__uscc"]
    list_select_related = ["enterprise", "industry", "requested_grade"]


@admin.register(models.Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["title", "declaration", "kind", "size", "uploaded_at", "replaced_by"]
    search_fields = ["declaration__number", "title"]


@admin.register(models.DeclarationVersion)
class DeclarationVersionAdmin(ReadOnlyAdmin):
    list_display = ["declaration", "number", "submitted_at", "package_status"]
