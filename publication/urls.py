from django.urls import path

from publication.views import handlers, lists, notices

app_name = "publication"
urlpatterns = [
    path("", notices.index, name="index"),
    path("notices/new/", notices.notice_new, name="notice-new"),
    path("notices/<int:pk>/", notices.notice_detail, name="notice"),
    path("notices/<int:pk>/publish/", notices.notice_publish, name="notice-publish"),
    path("objections/<int:pk>/", notices.objection_detail, name="objection"),
    path("list/publish/", lists.list_publish_view, name="list-publish"),
    path("handlers/", handlers.handlers, name="handlers"),
    path("handlers/<int:user_pk>/revoke/", handlers.handler_revoke_view, name="handler-revoke"),
]
