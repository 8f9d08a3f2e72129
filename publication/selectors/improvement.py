from django.db.models import QuerySet

from grading.jurisdiction import scope_to_viewer
from grading.models import User
from publication.models import ImprovementEntry
from publication.rules import allows


def improvement_list(*, viewer: User, year: int) -> QuerySet[ImprovementEntry]:
    """The improvement entries of the viewer's jurisdiction for ``year`` (bureaus only)."""
    if not allows(viewer, "publication.view_positive_list"):
        return ImprovementEntry.objects.none()
    return (
        scope_to_viewer(
            ImprovementEntry.objects.filter(year=year), viewer, enterprise_path="enterprise"
        )
        .select_related("enterprise__county", "industry", "target_grade", "indicator")
        .order_by("enterprise__county__code", "industry__seq", "target_grade__severity", "pk")
    )
