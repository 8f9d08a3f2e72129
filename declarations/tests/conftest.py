"""Fixtures the declarations tests share."""

import pytest

from declarations.models import Declaration
from declarations.services import lifecycle
from declarations.tests.api_support import client_for
from tests import declaration_builders as builders
from tests import factories


@pytest.fixture
def media(settings, tmp_path):
    """Evidence and packages go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def eager(settings):
    """The package PDF renders in-process when the submit transaction commits."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def media_and_eager(media, eager):
    """Evidence in the test's folder, tasks in-process."""


@pytest.fixture
def api(enterprise_user):
    """An API client signed in as the enterprise."""
    return client_for(enterprise_user)


@pytest.fixture
def other_user(other_enterprise):
    """An account of another enterprise (of another county)."""
    return factories.enterprise_user(other_enterprise)


@pytest.fixture
def submitted(enterprise_user, media_and_eager):
    """A complete B-grade declaration of ``enterprise_user``'s enterprise, submitted."""
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    return Declaration.objects.get(pk=d.pk)
