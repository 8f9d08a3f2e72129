"""Redis stopped while the site runs (issue 15, faults): pages still serve (sessions are in
the database, the cache answers "miss"), starting a job says plainly that background work is
unavailable and keeps what the user chose, a submitted declaration is kept with its package
marked failed with a message; when Redis returns the same jobs start. Redis here is a server
of this test's own on another port, stopped and started by its process id."""

import os

import pytest
from django.urls import reverse

from config.celery import app
from core import jobs
from declarations.models import DeclarationVersion
from declarations.services import lifecycle
from declarations.services.rendering import package_rerender
from emergency_list.models import ExcelJob
from grading.models import User
from tests import declaration_builders as builders
from tests import factories
from tests.faults import OwnRedis

REQUIRED = os.environ.get("GRADING_REQUIRE_SERVICES") == "1"
pytestmark = [
    pytest.mark.skipif(not REQUIRED, reason="needs PostgreSQL and redis-server"),
    pytest.mark.django_db,
]

UNAVAILABLE = "后台处理服务暂时不可用"


@pytest.fixture
def redis(tmp_path, settings):
    """The site's cache and broker on a Redis of this test's own; the app's settings and
    producer pool restored afterwards."""
    previous = app.conf.broker_url  # read first: the app's settings load on first use
    own = OwnRedis(tmp_path)
    own.start()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = own.url
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": own.url,
            "OPTIONS": {**settings.CACHES["default"]["OPTIONS"]},
        }
    }
    app.conf.broker_url = own.url
    fresh_producers()
    try:
        yield own
    finally:
        own.stop()
        app.conf.broker_url = previous
        fresh_producers()


def fresh_producers() -> None:
    """Producers connect to the broker now configured (the pools are built on first use)."""
    app._pool = None
    app.amqp._producer_pool = None


def test_redis_stopped_pages_serve_jobs_refuse_plainly_and_start_again(
    redis, client, django_capture_on_commit_callbacks
):
    user = factories.staff_user(User.Role.COUNTY, "410184")
    client.force_login(user)
    pages = [reverse("inbox"), reverse("emergency_list:excel"), "/declarations/", "/enterprises/"]
    for url in pages:
        assert client.get(url).status_code == 200, url

    redis.stop()
    for url in pages:
        assert client.get(url).status_code == 200, url

    form = {"action": "export", "region": "410184", "year": "2025"}
    response = client.post(reverse("emergency_list:excel"), form)
    assert response.status_code == 200
    page = response.content.decode()
    assert UNAVAILABLE in page
    assert '<option value="410184" selected>' in page and 'value="2025"' in page
    assert not ExcelJob.objects.exists()

    redis.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("emergency_list:excel"), form)
    job = ExcelJob.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/jobs/{job.pk}/")
    assert redis.llen("bulk") == 1, "the export is queued on its queue"


def test_redis_stopped_a_submitted_declaration_is_kept_and_its_package_asked_again(
    redis, django_capture_on_commit_callbacks
):
    enterprise = factories.enterprise(county="410184", industry="N31")
    user = factories.enterprise_user(enterprise)
    declaration = builders.complete(builders.draft(user, grade="B"), user, evidence_rows=1)

    redis.stop()
    with django_capture_on_commit_callbacks(execute=True):
        version = lifecycle.declaration_submit(actor=user, declaration=declaration)
    version.refresh_from_db()
    declaration.refresh_from_db()
    assert declaration.versions.count() == 1  # what the enterprise typed is submitted
    assert version.package_status == DeclarationVersion.RenderStatus.FAILED
    assert version.package_error == jobs.BROKER_DOWN
    with pytest.raises(jobs.BackgroundUnavailable, match=UNAVAILABLE):
        package_rerender(actor=user, version=version)

    redis.start()
    with django_capture_on_commit_callbacks(execute=True):
        package_rerender(actor=user, version=version)
    version.refresh_from_db()
    assert version.package_status == DeclarationVersion.RenderStatus.PENDING
    assert redis.llen("documents") == 1
