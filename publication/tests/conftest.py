import pytest
from django.core.cache import cache

from grading.models import User
from publication.tests import builders


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test counts its own anonymous writes."""
    cache.clear()
    yield


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
