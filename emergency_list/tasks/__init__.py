"""Celery tasks of the emergency list, one module per kind of work. ``autodiscover_tasks``
imports this package, so it imports every module. Each task keeps, as its explicit name, the
name it was first registered under: queued messages carry it."""

from emergency_list.tasks import alerts, bundles, documents, excel, lists, versions  # noqa: F401
