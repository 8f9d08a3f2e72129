"""Fixtures for the whole suite: reference data, users of every role, enterprises."""

import pytest
from django.core.management import call_command
from django.utils import translation

from grading.models import Region, User
from tests import factories

DEMO_PASSWORD = "Demo@2026"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Reference data (regions, industries, grades, indicator sets) once per test database."""
    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0)
        call_command("load_measures", verbosity=0)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path_factory):
    """Uploaded and generated files of tests never land in the site's own media folder."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing cost is not under test; the password policy validators still run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _chinese_first():
    """Each test starts in the site's default language; a request in English must not leak
    its activated language into the next test (the test client shares the thread)."""
    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture
def reference_data(transactional_db):
    """For transactional and browser tests, which flush the database after each test."""
    call_command("load_reference", verbosity=0)
    call_command("load_measures", verbosity=0)


@pytest.fixture
def region():
    return lambda code: Region.objects.get(code=code)


@pytest.fixture
def county_user(db):
    return factories.staff_user(User.Role.COUNTY, "410184")  # 新郑市


@pytest.fixture
def other_county_user(db):
    return factories.staff_user(User.Role.COUNTY, "410122")  # 中牟县


@pytest.fixture
def city_user(db):
    return factories.staff_user(User.Role.CITY, "410100")  # 郑州市


@pytest.fixture
def province_user(db):
    return factories.staff_user(User.Role.PROVINCE, "410000")


@pytest.fixture
def enterprise(db):
    return factories.enterprise(county="410184", industry="N31")


@pytest.fixture
def other_enterprise(db):
    return factories.enterprise(county="410122", industry="N15")


@pytest.fixture
def enterprise_user(enterprise):
    return factories.enterprise_user(enterprise)
