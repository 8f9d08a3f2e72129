"""The package render on a real Celery worker over the real Redis broker, reading and writing
the real (test) PostgreSQL database: what production does, not the eager shortcut."""

import hashlib
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from config.celery import app
from declarations.models import DeclarationVersion
from declarations.services import lifecycle
from tests import declaration_builders as builders
from tests import factories
from tests.workers import queues_purge

REQUIRED = os.environ.get("GRADING_REQUIRE_SERVICES") == "1"
pytestmark = [
    pytest.mark.skipif(
        not REQUIRED,
        reason="needs PostgreSQL, Redis and a Celery worker: set GRADING_REQUIRE_SERVICES=1 "
        "(scripts/test does) with DATABASE_URL and REDIS_URL",
    ),
    pytest.mark.django_db(transaction=True),
]

READY_TIMEOUT = 30
RENDER_TIMEOUT = 60


def worker_database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        user += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(reference_data, settings, tmp_path):
    """A worker process on the test database, sharing this test's media folder; stopped (and
    its database connections closed) before the database is flushed."""
    assert django_settings.CELERY_BROKER_URL.startswith("redis://")
    var_dir = tmp_path / "var"
    settings.MEDIA_ROOT = var_dir / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "VAR_DIR": str(var_dir),
        "CONN_MAX_AGE": "0",
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    queues_purge(django_settings.REDIS_URL)
    # Celery keeps the configuration it first read (see tests.workers.start_worker).
    eager_before, app.conf.task_always_eager = app.conf.task_always_eager, False
    name = f"test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--loglevel=warning",
                "-Q",
                "forms,documents,bulk",
                "-n",
                name,
            ],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not app.control.ping(destination=[name], timeout=1):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Celery worker did not start:\n{log.read_text(errors='replace')}")
        yield log
    finally:
        app.conf.task_always_eager = eager_before
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_render_package_on_a_real_worker(worker):
    enterprise = factories.enterprise(county="410184", industry="N31")
    user = factories.enterprise_user(enterprise)
    d = builders.complete(builders.draft(user, grade="B"), user, evidence_rows=2)
    version = lifecycle.declaration_submit(actor=user, declaration=d)

    deadline = time.monotonic() + RENDER_TIMEOUT
    done = (DeclarationVersion.RenderStatus.READY, DeclarationVersion.RenderStatus.FAILED)
    while True:
        version = DeclarationVersion.objects.get(pk=version.pk)
        if version.package_status in done or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert version.package_status == DeclarationVersion.RenderStatus.READY, (
        f"{version.package_status} {version.package_error}\n{worker.read_text(errors='replace')}"
    )
    assert version.package_progress == 100
    path = Path(version.package_file.path)
    assert path.exists()
    content = path.read_bytes()
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == version.package_sha256
