"""Fixtures the review tests share: the users of the chain and one B declaration of 新郑市's
printing enterprise walked up it through the real services."""

import datetime

import pytest
from django.utils import timezone

from review.tests import builders
from review.tests.builders import D


@pytest.fixture
def second_county_user(db):
    return builders.county_staff("410184")


@pytest.fixture
def n31_expert(db):
    """A printing expert of 郑州's pool."""
    return builders.expert("N31", pool="410100")


@pytest.fixture
def declaration(enterprise_user):
    """A complete B declaration of 新郑市's printing enterprise, submitted (version 1)."""
    return builders.submitted(enterprise_user, grade="B")


@pytest.fixture
def case(declaration, county_user):
    """The declaration opened for first review."""
    return builders.open_case(county_user, declaration)


@pytest.fixture
def at_city(case, county_user, second_county_user):
    """The case recommended by the county group."""
    builders.county_recommend(case, [county_user, second_county_user])
    return builders.refresh(case)


@pytest.fixture
def at_province(at_city, city_user, n31_expert):
    builders.city_ready_to_forward(at_city, city_user, n31_expert)
    builders.sign(at_city, city_user, D.FORWARD, grade_code="B")
    return builders.refresh(at_city)


@pytest.fixture
def verified_case(at_city, city_user, n31_expert):
    """At the city stage, with a panel, an on-site record and one open rectification."""
    builders.panel_form(at_city, city_user, [n31_expert])
    builders.onsite_record(
        at_city,
        n31_expert,
        rectifications=[("完善台账", timezone.localdate() + datetime.timedelta(days=10))],
    )
    return builders.refresh(at_city)
