from django.urls import path

from emergency_list import views

app_name = "emergency_list"
urlpatterns = [
    path("", views.list_index, name="index"),
    path("generate/", views.list_generate, name="generate"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("ratio/", views.ratio_page, name="ratio"),
]
