"""Issue 11 item 8: every viewset says what its ids look like, so a malformed id matches no
route (404) instead of reaching a query that fails (500)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.viewsets import ViewSetMixin

from tests import factories


def _viewsets(patterns=None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _viewsets(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            cls = getattr(pattern.callback, "cls", None)
            if cls is not None and issubclass(cls, ViewSetMixin):
                yield cls


def test_every_viewset_declares_lookup_value_regex():
    missing = sorted(
        {
            f"{cls.__module__}.{cls.__name__}"
            for cls in _viewsets()
            if "lookup_value_regex" not in vars(cls)
        }
    )
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/enterprises/abc/",
        "/api/v1/declarations/abc/",
        "/api/v1/list/entries/abc/",
        "/api/v1/list/alerts/abc/",
        "/api/v1/list/excel-jobs/abc/",
        "/api/v1/review/cases/abc/",
        "/api/v1/regions/abc/",
        "/api/v1/industries/N%27/",
        "/api/v1/publication/exports/abc/",
    ],
)
def test_non_integer_ids_answer_404(url):
    client = APIClient()
    client.force_authenticate(factories.admin_user())
    assert client.get(url).status_code == 404
