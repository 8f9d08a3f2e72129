from django.urls import path
from rest_framework.routers import SimpleRouter

from publication.api.dashboard import DashboardView
from publication.api.exports import ExportViewSet, PositiveViewSet
from publication.api.improvement import ImprovementViewSet
from publication.api.notices import NoticeViewSet, ObjectionViewSet
from publication.api.reports import ReportViewSet

router = SimpleRouter()
router.register("notices", NoticeViewSet, basename="notice")
router.register("objections", ObjectionViewSet, basename="objection")
router.register("positive", PositiveViewSet, basename="positive")
router.register("exports", ExportViewSet, basename="export")
router.register("improvement", ImprovementViewSet, basename="improvement")
router.register("reports", ReportViewSet, basename="report")

app_name = "publication-api"
urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    *router.urls,
]
