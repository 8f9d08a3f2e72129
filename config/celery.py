"""Celery application: PDF forms and Excel lists are rendered by its workers."""

import os
import resource

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("jixiao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _address_space() -> int:
    """This process's address space in bytes (Linux), 0 when unknown."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


@worker_process_init.connect
def _cap_memory(**kwargs) -> None:
    """WORKER_MEMORY_LIMIT_MB: how far each pool child's address space may grow beyond what it
    holds once started. A job that would grow past it gets a MemoryError and ends failed with
    a message (core.jobs), instead of the kernel killing the child in the middle of a task."""
    from django.conf import settings

    limit = getattr(settings, "WORKER_MEMORY_LIMIT_MB", 0)
    if limit:
        size = _address_space() + limit * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
