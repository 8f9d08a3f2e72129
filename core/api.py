"""API plumbing shared by every app: pagination and error shape."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    """DRF-style pages (``count``, ``next``, ``previous``, ``results``), ``?page_size=`` ≤ 1000."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


class KeysetOrPages(Pagination):
    """Page numbers by default, as the pages show them; ``?paginate=cursor`` walks the list by
    keyset on ``id`` instead (``next`` carries the cursor), so a deep page costs what the
    first does — for clients that read a large list through."""

    class _Cursor(CursorPagination):
        ordering = "id"
        page_size = 50
        page_size_query_param = "page_size"
        max_page_size = 1000

    def paginate_queryset(self, queryset, request, view=None):
        self.keyset = self._Cursor() if request.query_params.get("paginate") == "cursor" else None
        if self.keyset is not None:
            return self.keyset.paginate_queryset(queryset.order_by("id"), request, view)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self.keyset is not None:
            return self.keyset.get_paginated_response(data)
        return super().get_paginated_response(data)


def validation_error_detail(exc: DjangoValidationError) -> dict | list:
    """A Django ValidationError from a service, in DRF's field-error shape."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    """Service errors (Django's ValidationError) become 400 with field errors, like serializer
    errors; Django's 404 and permission errors keep their DRF meaning."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        # Keep the service's Chinese reason; fall back to DRF's generic message.
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    return drf_exception_handler(exc, context)


class BlankChoicesMixin:
    """For a ModelSerializer whose read-only fields include a choice field that may be blank
    (a pending outcome, no guarantee category): DRF drops ``allow_blank`` from read-only
    fields, so the schema's enum would refuse the "" the answer holds."""

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        blank_choice = bool(kwargs.get("allow_blank")) and "choices" in kwargs
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank_choice and kwargs.get("read_only"):
            kwargs["allow_blank"] = True
        return kwargs
