"""The administrator sets the year's revision and adjustment windows (R-LIST-6) where they differ
from the seeds' dates (30 September, 15 November, year end)."""

from django.contrib import admin

from emergency_list.models import ListWindow


@admin.register(ListWindow)
class ListWindowAdmin(admin.ModelAdmin):
    list_display = ["year", "kind", "due_on"]
    list_filter = ["year", "kind"]
    ordering = ["-year", "due_on"]
