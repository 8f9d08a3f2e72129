"""Queues by kind of work: approval forms and notifications on ``forms``, documents on
``documents``, Excel exports and imports, list compilation and alerts on ``bulk``; each queue
has workers in docker-compose.yml, so a province export never delays a form."""

import re
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from config.celery import app

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"

EXPECTED = {
    "core.tasks.send_notification_emails": "forms",
    "core.tasks.fail_stalled_jobs": "forms",
    "review.tasks.render_approval_form": "forms",
    "review.tasks.render_case_form": "forms",
    "review.tasks.remind_reapplications": "forms",
    "declarations.tasks.render_package": "documents",
    "emergency_list.tasks_documents.render_entry_documents": "documents",
    "review.bundle_tasks.render_bundle": "documents",
    "publication.tasks.render_version_file": "documents",
    "emergency_list.tasks_excel.export_list": "bulk",
    "emergency_list.tasks_excel.import_list": "bulk",
    "emergency_list.tasks.generate_list": "bulk",
    "emergency_list.tasks.compute_alert": "bulk",
    "publication.tasks.render_export": "bulk",
    "emergency_list.tasks_bundles.build_bundle": "documents",
    "emergency_list.tasks_versions.export_version_diff": "bulk",
}


def project_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def queue_of(name: str) -> str:
    return app.amqp.router.route({}, name, args=(), kwargs={})["queue"].name


def compose_queues() -> set[str]:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    queues = set()
    for service in services.values():
        command = service.get("command") or []
        if "worker" in command and "-Q" in command:
            queues.update(command[command.index("-Q") + 1].split(","))
    return queues


def test_every_task_has_a_stated_queue():
    """A new task names its queue in CELERY_TASK_ROUTES; none lands on a queue by default."""
    routes = settings.CELERY_TASK_ROUTES
    unrouted = [n for n in project_tasks() if not any(fnmatch(n, p) for p in routes)]
    assert not unrouted, f"须在 CELERY_TASK_ROUTES 中指定队列：{unrouted}"
    assert set(EXPECTED) <= set(project_tasks())


@pytest.mark.parametrize(("name", "queue"), sorted(EXPECTED.items()))
def test_task_is_routed_to_its_queue(name, queue):
    assert queue_of(name) == queue


def test_a_sent_task_carries_its_queue():
    """What the producer really publishes, not only what the router answers."""
    sent = []

    def capture(sender=None, routing_key=None, **kwargs):
        sent.append((sender, routing_key))

    from celery.signals import before_task_publish

    before_task_publish.connect(capture)
    try:
        with app.connection_for_write("memory://") as conn:
            for name in (
                "emergency_list.tasks_excel.export_list",
                "review.tasks.render_approval_form",
            ):
                app.send_task(name, args=(0,), connection=conn)
    finally:
        before_task_publish.disconnect(capture)
    assert sent == [
        ("emergency_list.tasks_excel.export_list", "bulk"),
        ("review.tasks.render_approval_form", "forms"),
    ]


def test_every_queue_has_workers_in_compose():
    used = {queue_of(name) for name in EXPECTED}
    assert used <= compose_queues()
    assert re.fullmatch(r"forms", app.conf.task_default_queue)
