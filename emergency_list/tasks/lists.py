"""Compiling a county's list in the background (R-LIST-1)."""

from celery import shared_task

from emergency_list.services.entries import list_generate
from grading.models import Region, User


@shared_task(
    name="emergency_list.tasks.generate_list",
    acks_late=True,
    soft_time_limit=1800,
    time_limit=1900,
)
def generate_list(county_pk: int, year: int, actor_pk: int) -> int:
    """Compile or refresh a county's list (R-LIST-1); queued by ``list_generate_request``."""
    return list_generate(
        actor=User.objects.get(pk=actor_pk), county=Region.objects.get(pk=county_pk), year=year
    )
