"""The targets dashboard (R-TGT-1): A/B share by category and by city against targets and the
2020 baseline, D enterprises, month-end progress, drill-down, the same figures by API."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from grading.models import GradeRecord, Region, User
from publication.selectors.dashboard import dashboard
from publication.tests import builders
from tests import factories

pytestmark = pytest.mark.django_db
IMPORT = GradeRecord.Source.IMPORT
TODAY = datetime.datetime(2026, 6, 15, 10)


def graded(county, industry, code, on=datetime.date(2026, 1, 10)):
    ent = factories.enterprise(county=county, industry=industry)
    if code:
        builders.decided(ent, code, on=on, source=IMPORT)
    return ent


@pytest.fixture
def province_data():
    # 郑州 (target 25%): printing (VOCs) A, A, B, C, C, C, D and one ungraded.
    for code in ("A", "A", "B", "C", "C", "C", "D", None):
        graded("410184", "N31", code)
    # 洛阳 (target 25%): cement (building materials) B, C; concrete (provincial) 引领性.
    graded("410311", "N15", "B")
    graded("410311", "N15", "C")
    graded("410311", "HN01", "LEAD")
    # A general-industry D counts for D but not for the key-industry share.
    graded("410122", "GENERAL", "NONADV")


def figures(code="410000", year=2026):
    with time_machine.travel(TODAY):
        return dashboard(region=Region.objects.get(code=code), year=year)


def line(lines, code):
    return next(line for line in lines if line.code == code)


def test_r_tgt_1_shares_by_category_and_city_against_targets(province_data):
    d = figures()
    assert (d.total.graded, d.total.ab, d.total.d, d.total.ungraded) == (10, 5, 1, 1)
    assert d.total.share == Decimal("50.0")
    assert d.target == Decimal(70)  # 004 §22: 70% by the end of 2025 (the latest goal)
    vocs = line(d.categories, "vocs")
    assert (vocs.tally.graded, vocs.tally.ab, vocs.tally.share) == (7, 3, Decimal("42.9"))
    assert (vocs.target, vocs.baseline) == (Decimal(20), Decimal("1.6"))
    assert line(d.categories, "building").tally.share == Decimal("50.0")
    assert line(d.categories, "provincial").tally.ab == 1
    zz = line(d.areas, "410100")
    assert (zz.tally.graded, zz.tally.ab, zz.target) == (7, 3, Decimal(25))
    assert zz.gap == Decimal("42.9") - 25
    assert line(d.areas, "410300").tally.share == Decimal("66.7")
    assert line(d.areas, "410700").tally.graded == 0


def test_r_tgt_1_the_2021_goal_was_20_percent(province_data):
    assert figures(year=2021).target == Decimal(20)


def test_drill_down_to_a_city_and_a_county(province_data):
    city = figures("410100")
    assert city.target == Decimal(25)
    assert {a.code for a in city.areas} >= {"410184", "410122"}
    assert line(city.areas, "410184").tally.graded == 7
    county = figures("410184")
    assert county.target == Decimal(25)  # a county follows its city's target
    assert [i.code for i in county.industries] == ["N31"]


def test_r_tgt_1_progress_by_month_follows_the_grade_history(db):
    ent = graded("410184", "N31", "A", on=datetime.date(2026, 1, 10))
    graded("410184", "N31", "C", on=datetime.date(2026, 1, 10))
    builders.decided(ent, "D", on=datetime.date(2026, 4, 2), source=GradeRecord.Source.DOWNGRADE)
    months = figures("410100").months
    assert [m["month"] for m in months] == [1, 2, 3, 4, 5, 6]
    assert [m["share"] for m in months] == [Decimal(50)] * 3 + [Decimal(0)] * 3
    assert [m["d"] for m in months] == [0, 0, 0, 1, 1, 1]


def test_the_aggregate_is_a_fixed_number_of_queries(province_data):
    with CaptureQueriesContext(connection) as few:
        figures()
    for _ in range(20):
        graded("410184", "N31", "B")
    with CaptureQueriesContext(connection) as many:
        figures()
    assert len(many) == len(few) <= 14  # with the two that key the cache


def test_the_figures_are_kept_until_a_grade_or_an_enterprise_changes(province_data):
    first = figures()
    province = Region.objects.get(code="410000")
    with time_machine.travel(TODAY), CaptureQueriesContext(connection) as again:
        assert dashboard(region=province, year=2026).total == first.total
    assert len(again) == 2  # what the figures depend on; the figures from the cache
    graded("410184", "N31", "B")
    assert figures().total.graded == first.total.graded + 1


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_province_page_drills_into_a_city_and_the_api_agrees(province, province_data):
    with time_machine.travel(TODAY):
        page = client_for(province).get("/publication/dashboard/").content.decode()
        assert "?region=410100&amp;year=2026" in page
        assert "<svg" in page and "郑州市" in page
        city_page = client_for(province).get("/publication/dashboard/?region=410100")
        assert city_page.status_code == 200
        assert "新郑市" in city_page.content.decode()
        api = APIClient()
        api.force_authenticate(province)
        body = api.get("/api/v1/publication/dashboard/?region=410100").json()
    assert body["total"]["graded"] == 7 and body["total"]["share"] == 42.9
    assert body["target"] == 25.0


def test_other_jurisdictions_get_404_and_other_roles_403(
    county_user, city_user, enterprise_user, province_data
):
    with time_machine.travel(TODAY):
        assert client_for(city_user).get("/publication/dashboard/?region=410300").status_code == 404
        assert client_for(city_user).get("/publication/dashboard/?region=410000").status_code == 404
        assert (
            client_for(county_user).get("/publication/dashboard/?region=410122").status_code == 404
        )
        own = client_for(county_user).get("/publication/dashboard/")
        assert own.status_code == 200 and "新郑市" in own.content.decode()
        assert client_for(enterprise_user).get("/publication/dashboard/").status_code == 403
        expert = factories.expert_user()
        api = APIClient()
        api.force_authenticate(expert)
        assert api.get("/api/v1/publication/dashboard/").status_code == 403
        assert User.objects.filter(pk=expert.pk).exists()


def test_r_grade_4_an_enterprise_in_two_industries_counts_at_its_worst(db):
    two = factories.enterprise(county="410184", industry=["N31", "N06"])
    builders.decided(two, "A", industry="N31", on=datetime.date(2026, 1, 5), source=IMPORT)
    builders.decided(two, "C", industry="N06", on=datetime.date(2026, 3, 5), source=IMPORT)
    graded("410184", "N31", "B", on=datetime.date(2025, 6, 1))
    months = figures("410184").months
    assert [(m["graded"], m["ab"]) for m in months[:3]] == [(2, 2), (2, 2), (2, 1)]
    d = figures("410184")
    assert (d.total.graded, d.total.ab) == (2, 1)
