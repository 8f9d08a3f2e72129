import pytest
from django.core.cache import cache

from grading.models import User
from publication.tests import builders


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test counts its own anonymous writes."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _render_in_process(monkeypatch):
    """Downloads requested by a test render in the test's process when its callbacks run."""
    import publication.tasks
    from publication.services.downloads import version_file_render
    from publication.services.exports import export_render

    monkeypatch.setattr(
        publication.tasks.render_version_file, "delay", lambda pk: version_file_render(pk)
    )
    monkeypatch.setattr(publication.tasks.render_export, "delay", lambda pk: export_render(pk))


@pytest.fixture
def province(db):
    return builders.staff(User.Role.PROVINCE, "410000")


@pytest.fixture
def province_handler(db):
    return builders.designated(User.Role.PROVINCE, "410000")


@pytest.fixture
def zhengzhou(db):
    return builders.staff(User.Role.CITY, "410100")


@pytest.fixture
def zhengzhou_handler(db):
    return builders.designated(User.Role.CITY, "410100")


@pytest.fixture
def luoyang(db):
    return builders.staff(User.Role.CITY, "410300")
