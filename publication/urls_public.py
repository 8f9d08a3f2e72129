"""Public pages (no login): /public/…"""

from django.urls import path

from publication.views import lists_public, positive, public, reports, signboard

app_name = "public"
urlpatterns = [
    path("", public.home, name="home"),
    path("notices/", public.notices, name="notices"),
    path("notices/<str:number>/", public.notice, name="notice"),
    path("notices/<str:number>/objection/<str:key>/", public.objection, name="objection"),
    path("notices/<str:number>/objection-lodged/", public.objection_done, name="objection-done"),
    path("lists/", lists_public.lists, name="lists"),
    path("lists/<str:code>/", lists_public.version, name="list"),
    path("lists/<str:code>/<int:number>/", lists_public.version, name="version"),
    path("lists/<str:code>/<int:number>/<str:fmt>/", lists_public.download, name="download"),
    path("search/", lists_public.search, name="search"),
    path("positive/", positive.public_positive, name="positive"),
    path("report/", reports.report_new, name="report"),
    path("report/lodged/", reports.report_lodged, name="report-lodged"),
    path("signboards/<str:key>/<int:revision>/", signboard.signboard, name="signboard"),
]
