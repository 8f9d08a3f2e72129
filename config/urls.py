from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from core.api_auth import TokenLogoutView, TokenObtainView
from declarations import api as declarations_api
from emergency_list import api as emergency_list_api
from emergency_list import api_versions as emergency_list_api_versions
from grading import api as grading_api
from review import api as review_api

router = DefaultRouter()
router.register("regions", grading_api.RegionViewSet, basename="region")
router.register("industries", grading_api.IndustryViewSet, basename="industry")
router.register("audit/events", grading_api.AuditEventViewSet, basename="audit-event")
router.register("enterprises", grading_api.EnterpriseViewSet, basename="enterprise")
router.register(
    "declarations/change-reports", declarations_api.ChangeReportViewSet, basename="change-report"
)
router.register("declarations", declarations_api.DeclarationViewSet, basename="declaration")
router.register("list/entries", emergency_list_api.ListEntryViewSet, basename="list-entry")
router.register("list/alerts", emergency_list_api.AlertViewSet, basename="list-alert")
router.register("list/excel-jobs", emergency_list_api.ExcelJobViewSet, basename="list-excel-job")
router.register(
    "list/versions", emergency_list_api_versions.ListVersionViewSet, basename="list-version"
)
router.register("review/cases", review_api.ReviewCaseViewSet, basename="review-case")
router.register("review/experts", review_api.ExpertViewSet, basename="review-expert")
router.register("review/samples", review_api.SpotCheckSampleViewSet, basename="review-sample")
router.register("review/proposals", review_api.DowngradeProposalViewSet, basename="review-proposal")
router.register("review/units", review_api.ServiceUnitViewSet, basename="review-unit")
router.register("review/downgrades", review_api.DowngradeCaseViewSet, basename="review-downgrade")
router.register("review/appeals", review_api.AppealViewSet, basename="review-appeal")
router.register("review/guarantee", review_api.GuaranteeViewSet, basename="review-guarantee")
router.register(
    "review/reapplications", review_api.ReapplicationViewSet, basename="review-reapplication"
)
router.register(
    "review/change-reports", review_api.ChangeReportReviewViewSet, basename="review-change-report"
)

admin.site.site_header = "绩效分级管理平台"
admin.site.site_title = "绩效分级"

urlpatterns = [
    path("", include("grading.urls")),
    path("declarations/", include("declarations.urls")),
    path("review/", include("review.urls")),
    path("list/", include("emergency_list.urls")),
    path("publication/", include("publication.urls")),
    path("public/", include("publication.urls_public")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The admin site is entered through the site's own login (password, then the second
    # factor), never through a login page of its own.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="admin-login",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include((router.urls, "api"), namespace="api")),
    path("api/v1/publication/", include("publication.api.urls")),
    path("api/v1/public/", include("publication.api.urls_public")),
    path("api/v1/auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("api/v1/auth/logout/", TokenLogoutView.as_view(), name="api-logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
