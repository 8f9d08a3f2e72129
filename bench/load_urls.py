"""The site's URLs and, at /bench/minimal/, the anchor of ``bench/load.py`` and
``bench/lists.py``: a DRF list of enterprises ordered by id, 50 a page, a plain serializer (id,
name, uscc), unscoped, served by the same stack (middleware, authentication) as the site."""

from django.urls import path
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination

from config.urls import urlpatterns as site_urlpatterns
from grading.models import Enterprise


class Plain(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["id", "name", "uscc"]


class Pages(PageNumberPagination):
    page_size = 50


class Minimal(generics.ListAPIView):
    queryset = Enterprise.objects.order_by("id")
    serializer_class = Plain
    pagination_class = Pages


urlpatterns = [path("bench/minimal/", Minimal.as_view()), *site_urlpatterns]
