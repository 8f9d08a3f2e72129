"""The large lists' reads (enterprises, list entries): a deep page read ids first gives the same
rows in the same order as one query; a row built by ``PlainRows`` is DRF's row; the enterprise
list costs the same number of queries whatever the page size or depth."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from core.pagination import IdsFirstPaginator
from emergency_list.api import EntryListSerializer
from emergency_list.selectors import entry_list
from emergency_list.services.entries import entry_build
from grading.api import EnterpriseListSerializer
from grading.selectors import enterprise_list, enterprise_summaries, with_main_industry_codes
from tests import factories

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


class _Shallow(IdsFirstPaginator):
    deep = 3  # every page past the first reads ids first


@pytest.fixture
def spread():
    """Nine enterprises in two counties of 郑州, names out of id order, three with a second
    industry; each on this year's list."""
    made = []
    for i, (county, name) in enumerate(
        [
            ("410184", "新郑丙"),
            ("410122", "中牟甲"),
            ("410184", "新郑甲"),
            ("410184", "新郑乙"),
            ("410122", "中牟丙"),
            ("410184", "新郑丁"),
            ("410122", "中牟乙"),
            ("410184", "新郑戊"),
            ("410122", "中牟丁"),
        ]
    ):
        industry = ["N31", "N15"] if i % 4 == 0 else "N31"
        made.append(factories.enterprise(county=county, industry=industry, name=name))
    for ent in made:
        entry_build(year=YEAR, enterprise=ent)
    return made


def _pages(paginator_class, qs) -> list[list[int]]:
    p = paginator_class(qs, 2)
    return [[row.pk for row in p.page(n).object_list] for n in p.page_range]


def test_deep_pages_read_ids_first_give_the_rows_of_one_query(spread, city_user):
    for qs in (
        enterprise_list(viewer=city_user),
        enterprise_summaries(viewer=city_user),
        entry_list(viewer=city_user, year=YEAR),
    ):
        assert _pages(_Shallow, qs) == _pages(Paginator, qs)
        assert sum(len(p) for p in _pages(_Shallow, qs)) == 9


def test_deep_page_rows_keep_what_the_list_selects(spread, city_user):
    page = _Shallow(enterprise_list(viewer=city_user), 2).page(3)
    with CaptureQueriesContext(connection) as q:
        shown = [(e.county.parent.name, [i.industry.code for i in e.main_industries]) for e in page]
    assert len(q.captured_queries) == 0  # select_related and prefetch kept on the second step
    assert all(city == "郑州市" for city, _codes in shown)


def test_plain_rows_are_drfs_rows(spread, city_user):
    rows = with_main_industry_codes(list(enterprise_summaries(viewer=city_user)))
    s = EnterpriseListSerializer()
    for e in rows:
        assert s.to_representation(e) == serializers.ModelSerializer.to_representation(s, e)
    main = {
        e.pk: sorted(i.industry.code for i in e.main_industries)
        for e in enterprise_list(viewer=city_user)
    }
    assert {e.pk: s.to_representation(e)["industries"] for e in rows} == main
    s = EntryListSerializer()
    for entry in entry_list(viewer=city_user, year=YEAR):
        assert s.to_representation(entry) == serializers.ModelSerializer.to_representation(s, entry)


@pytest.mark.parametrize(
    "params, deep, queries",
    [({}, 500, 4), ({"page": 3, "page_size": 2}, 500, 4), ({"page": 3, "page_size": 2}, 1, 5)],
)
def test_enterprise_api_list_costs_the_same_queries_at_any_page(
    spread, city_user, monkeypatch, params, deep, queries
):
    """The viewer's county units, the count, the page (a deep page: its ids, then its rows)
    and the page's main industries."""
    monkeypatch.setattr(IdsFirstPaginator, "deep", deep)
    client = APIClient()
    client.force_authenticate(city_user)
    with CaptureQueriesContext(connection) as q:
        r = client.get("/api/v1/enterprises/", params, secure=True)
    assert r.status_code == 200
    assert r.json()["count"] == 9
    selects = [x["sql"] for x in q.captured_queries if x["sql"].lstrip().startswith("SELECT")]
    assert len(selects) == queries, selects


def test_a_list_entry_is_in_the_reach_of_its_own_countys_list(
    spread, county_user, other_county_user
):
    """The entry of an enterprise that moved county stays on the list it was compiled into
    until that list is rebuilt: its county's bureau reads it (list and detail, as the rules
    say), the new county's does not yet."""
    from emergency_list.models import ListEntry
    from grading.models import Enterprise, Region
    from grading.rules import allows

    entry = ListEntry.objects.get(enterprise=spread[0], year=YEAR)  # 新郑
    Enterprise.objects.filter(pk=spread[0].pk).update(county=Region.objects.get(code="410122"))
    for user, reads in ((county_user, True), (other_county_user, False)):
        client = APIClient()
        client.force_authenticate(user)
        listed = client.get("/api/v1/list/entries/", {"year": YEAR}, secure=True).json()
        assert (entry.pk in {e["id"] for e in listed["results"]}) is reads
        detail = client.get(f"/api/v1/list/entries/{entry.pk}/", secure=True)
        assert detail.status_code == (200 if reads else 404)
        assert (
            allows(user, "emergency_list.view_entry", ListEntry.objects.get(pk=entry.pk)) is reads
        )
