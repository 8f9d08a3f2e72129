"""API plumbing shared by every app: pagination and error shape."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler

from core.pagination import IdsFirstPaginator


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

    django_paginator_class = IdsFirstPaginator

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


class PlainRows:
    """For a read-only list serializer of plain fields (a list page holds up to a thousand
    rows): its fields are built once per class instead of once per request, and a row is read
    attribute by attribute through the built fields' own ``to_representation``, so the answer
    is the same as DRF's. Method fields are called on the serializer itself (its context).
    Nested serializers and fields with a ``source="*"`` are not for this mixin."""

    @classmethod
    def _row_plan(cls) -> list:
        plan = cls.__dict__.get("_plain_rows_plan")
        if plan is None:
            plan = []
            for name, field in cls().fields.items():
                if field.write_only:
                    continue
                if isinstance(field, serializers.SerializerMethodField):
                    plan.append((name, None, field.method_name))
                else:
                    plan.append((name, tuple(field.source_attrs), field.to_representation))
            cls._plain_rows_plan = plan
        return plan

    def to_representation(self, instance):
        row = {}
        for name, attrs, represent in self._row_plan():
            if attrs is None:
                row[name] = getattr(self, represent)(instance)
                continue
            value = instance
            for attr in attrs:
                value = getattr(value, attr, None)
                if value is None:
                    break
            row[name] = None if value is None else represent(value)
        return row
