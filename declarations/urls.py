from django.urls import path

from declarations.views import batches, changes, declarations, indicators, results, tables, versions

app_name = "declarations"
urlpatterns = [
    path("", declarations.declaration_index, name="index"),
    path("new/", declarations.declaration_new, name="new"),
    path("batches/", batches.batch_index, name="batches"),
    path("batches/new/", batches.batch_edit, name="batch-new"),
    path("batches/<int:pk>/", batches.batch_edit, name="batch-edit"),
    path("<int:pk>/", declarations.declaration_detail, name="detail"),
    path("<int:pk>/lines/", tables.declaration_lines, name="lines"),
    path("<int:pk>/indicators/", indicators.declaration_indicators, name="indicators"),
    path("<int:pk>/submit/", declarations.declaration_submit, name="submit"),
    path("<int:pk>/withdraw/", declarations.declaration_withdraw, name="withdraw"),
    path("<int:pk>/delete/", declarations.declaration_delete, name="delete"),
    path("results/", results.enterprise_results, name="results"),
    path("changes/", changes.change_report_index, name="changes"),
    path("changes/new/", changes.change_report_new, name="change-new"),
    path("changes/<int:pk>/", changes.change_report_detail, name="change"),
    path(
        "changes/files/<int:pk>/download/",
        changes.change_report_file_download,
        name="change-file",
    ),
    path("<int:pk>/versions/<int:number>/", versions.version_detail, name="version"),
    path(
        "<int:pk>/versions/<int:number>/package/",
        versions.version_package_status,
        name="package-status",
    ),
    path(
        "<int:pk>/versions/<int:number>/package.pdf",
        versions.version_package_download,
        name="package-download",
    ),
    path("evidence/<int:pk>/download/", indicators.evidence_download, name="evidence-download"),
    path("<int:pk>/tables/<str:step>/", tables.declaration_tables, name="tables"),
    path("<int:pk>/<str:step>/", declarations.declaration_section, name="section"),
]
