from django.urls import path

from publication.api import public

app_name = "public-api"
urlpatterns = [
    path("", public.PublicRoot.as_view(), name="root"),
    path("notices/", public.PublicNoticeList.as_view(), name="notices"),
    path("notices/<str:number>/", public.PublicNoticeDetail.as_view(), name="notice"),
    path(
        "notices/<str:number>/objections/",
        public.PublicObjectionLodge.as_view(),
        name="objection-lodge",
    ),
    path("lists/", public.PublicListIndex.as_view(), name="lists"),
    path("lists/<str:code>/versions/", public.PublicVersionList.as_view(), name="versions"),
    path(
        "lists/<str:code>/versions/<str:number>/rows/",
        public.PublicVersionRows.as_view(),
        name="rows",
    ),
    path("positive/", public.PublicPositiveRows.as_view(), name="positive"),
    path("reports/", public.PublicReportLodge.as_view(), name="report-lodge"),
]
