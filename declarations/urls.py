from django.urls import path

from declarations import views

app_name = "declarations"
urlpatterns = [
    path("", views.declaration_index, name="index"),
    path("new/", views.declaration_new, name="new"),
    path("batches/", views.batch_list, name="batches"),
    path("batches/new/", views.batch_edit, name="batch-new"),
    path("batches/<int:pk>/", views.batch_edit, name="batch-edit"),
    path("<int:pk>/", views.declaration_detail, name="detail"),
    path("<int:pk>/lines/", views.declaration_lines, name="lines"),
    path("<int:pk>/indicators/", views.declaration_indicators, name="indicators"),
    path("<int:pk>/indicators/<int:row_pk>/", views.indicator_row_save, name="indicator-save"),
    path("<int:pk>/evidence/", views.evidence_add, name="evidence-add"),
    path("<int:pk>/submit/", views.declaration_submit, name="submit"),
    path("<int:pk>/withdraw/", views.declaration_withdraw, name="withdraw"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="version"),
    path(
        "<int:pk>/versions/<int:number>/package/",
        views.version_package_status,
        name="package-status",
    ),
    path(
        "<int:pk>/versions/<int:number>/package.pdf",
        views.version_package_download,
        name="package-download",
    ),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence-download"),
    path("<int:pk>/tables/<str:step>/", views.declaration_tables, name="tables"),
    path("<int:pk>/<str:step>/", views.declaration_section, name="section"),
]
