from django.urls import path

from publication.views import (
    dashboard,
    exports,
    handlers,
    hub,
    improvement,
    lists,
    notices,
    positive,
    reports,
)

app_name = "publication"
urlpatterns = [
    path("", hub.index, name="index"),
    path("notices/", notices.notices, name="notices"),
    path("notices/new/", notices.notice_new, name="notice-new"),
    path("notices/<int:pk>/", notices.notice_detail, name="notice"),
    path("notices/<int:pk>/publish/", notices.notice_publish, name="notice-publish"),
    path("objections/<int:pk>/", notices.objection_detail, name="objection"),
    path("list/publish/", lists.list_publish_view, name="list-publish"),
    path("handlers/", handlers.handlers, name="handlers"),
    path("handlers/<int:user_pk>/revoke/", handlers.handler_revoke_view, name="handler-revoke"),
    path("positive/", positive.positive, name="positive"),
    path("exports/", exports.exports, name="exports"),
    path("exports/<int:pk>/download/", exports.export_download, name="export-download"),
    path("dashboard/", dashboard.dashboard_view, name="dashboard"),
    path("improvement/", improvement.improvement, name="improvement"),
    path("reports/", reports.reports, name="reports"),
    path("reports/<int:pk>/", reports.report_detail, name="report"),
    path(
        "reports/<int:pk>/evidence/<int:evidence_pk>/",
        reports.report_evidence,
        name="report-evidence",
    ),
]
