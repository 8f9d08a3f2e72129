"""A published version's Excel and PDF rendered by a real Celery worker over the real Redis
broker, on the real (test) PostgreSQL database."""

import time

import pytest

from declarations.tests.test_worker import REQUIRED, worker  # noqa: F401  (the worker fixture)
from grading.models import GradeRecord, User
from publication.models import VersionFile
from publication.services.exports import export_request
from publication.services.lists import list_publish
from publication.tests import builders
from tests import factories

pytestmark = [
    pytest.mark.skipif(
        not REQUIRED,
        reason="needs PostgreSQL, Redis and a Celery worker: set GRADING_REQUIRE_SERVICES=1",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_the_worker_renders_a_published_version(worker, monkeypatch):  # noqa: F811
    monkeypatch.undo()  # the real task, not the in-process stand-in of the other tests
    province = builders.staff(User.Role.PROVINCE, "410000")
    builders.decided(
        factories.enterprise(county="410184", name="新郑市甲包装有限公司"),
        "A",
        source=GradeRecord.Source.IMPORT,
    )
    version = list_publish(actor=province, issuer=province.region, tier="province")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = list(VersionFile.objects.filter(version=version))
        if len(files) == 2 and all(f.status in ("ready", "failed") for f in files):
            break
        time.sleep(0.5)
    assert {(f.format, f.status) for f in files} == {("xlsx", "ready"), ("pdf", "ready")}, (
        worker.read_text(errors="replace")
    )
    assert all(f.rows == 1 and len(f.sha256) == 64 for f in files)


def test_the_worker_writes_an_official_list(worker, monkeypatch):  # noqa: F811
    monkeypatch.undo()
    city = builders.staff(User.Role.CITY, "410100")
    builders.decided(
        factories.enterprise(county="410184", name="新郑市甲包装有限公司"),
        "A",
        source=GradeRecord.Source.IMPORT,
    )
    export = export_request(actor=city, kind="province_ab", region=city.region)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        export.refresh_from_db()
        if export.status in ("ready", "failed"):
            break
        time.sleep(0.5)
    assert (export.status, export.rows) == ("ready", 1), worker.read_text(errors="replace")
