from django.urls import path

from declarations import views

app_name = "declarations"
urlpatterns: list = []
_ = (path, views)
