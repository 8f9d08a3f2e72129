"""Downloads of published lists and official lists, rendered by the worker."""

from celery import shared_task

from publication.services.downloads import version_file_render


@shared_task(name="publication.tasks.render_version_file", bind=True, acks_late=True)
def render_version_file(self, file_pk: int) -> str:
    return version_file_render(file_pk)
