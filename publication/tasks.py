"""Downloads of published lists and official lists, rendered by the worker."""

from celery import shared_task

from publication.services.downloads import version_file_render


@shared_task(name="publication.tasks.render_version_file", bind=True, acks_late=True)
def render_version_file(self, file_pk: int) -> str:
    return version_file_render(file_pk)


@shared_task(name="publication.tasks.render_export", bind=True, acks_late=True)
def render_export(self, export_pk: int) -> str:
    from publication.services.exports import export_render

    return export_render(export_pk)
