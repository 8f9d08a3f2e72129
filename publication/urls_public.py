"""Public pages (no login): /public/…"""

from django.urls import path

from publication.views import public

app_name = "public"
urlpatterns = [
    path("", public.home, name="home"),
    path("notices/", public.notices, name="notices"),
    path("notices/<str:number>/", public.notice, name="notice"),
    path("notices/<str:number>/objection/<str:key>/", public.objection, name="objection"),
    path("notices/<str:number>/objection-lodged/", public.objection_done, name="objection-done"),
]
