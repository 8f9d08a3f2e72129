"""Reads of the review chain, scoped to who asks. An object outside the viewer's reach is a 404,
the same answer as a missing one; a resource the viewer's role may not read at all is a 403
with the reason of ``review.rules``. Views, the API and the services read through these."""

from django.conf import settings
from django.db.models import Model, QuerySet
from django.http import Http404

from grading.models import Region


def configured_province() -> Region:
    """The province the platform serves (the administrator acts for it)."""
    return Region.objects.get(code=settings.GRADING["PROVINCE_CODE"])


def get_or_404(queryset: QuerySet, pk) -> Model:
    """The row ``pk`` of ``queryset``; 404 when it is not there (or ``pk`` is no id)."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
