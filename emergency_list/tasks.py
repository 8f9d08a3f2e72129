"""Celery tasks of the emergency list."""

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def generate_list(county_pk: int, year: int, actor_pk: int) -> int:
    """Compile or refresh a county's list in the background (R-LIST-1)."""
    from emergency_list.services.entries import list_generate
    from grading.models import Region, User

    return list_generate(
        actor=User.objects.get(pk=actor_pk), county=Region.objects.get(pk=county_pk), year=year
    )


from emergency_list.tasks_documents import render_entry_documents  # noqa: E402, F401
from emergency_list.tasks_excel import export_list, import_list  # noqa: E402, F401
