from django.urls import path

from emergency_list import views

app_name = "emergency_list"
urlpatterns = [
    path("", views.list_index, name="index"),
    path("generate/", views.list_generate, name="generate"),
    path("bundle/", views.list_bundle, name="bundle"),
    path("rounds/", views.rounds, name="rounds"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("entries/<int:pk>/documents/", views.entry_documents_request, name="documents"),
    path(
        "entries/<int:pk>/documents/<str:kind>/<int:index>/",
        views.entry_document_download,
        name="document",
    ),
    path("ratio/", views.ratio_page, name="ratio"),
    path("excel/", views.excel, name="excel"),
    path("excel/jobs/<int:pk>/", views.job_detail, name="job"),
    path("excel/jobs/<int:pk>/download/", views.job_download, name="job-download"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/export/", views.alert_export_view, name="alert-export"),
]
