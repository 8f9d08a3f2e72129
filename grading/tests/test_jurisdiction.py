"""Jurisdiction is security: every page and endpoint answers 404 outside the viewer's reach."""

import pytest
from rest_framework.test import APIClient

from grading.jurisdiction import county_unit_ids_for, county_units_for
from grading.models import Enterprise, Region, User
from grading.selectors import enterprise_list
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def spread(db):
    """Enterprises in 新郑市 and 中牟县 (郑州), 西工区 (洛阳) and 济源."""
    return {
        "xinzheng": factories.enterprise(county="410184"),
        "zhongmou": factories.enterprise(county="410122"),
        "luoyang": factories.enterprise(county="410303"),
        "jiyuan": factories.enterprise(county="419001"),
    }


def names(qs):
    return {e.county.code for e in qs}


def test_county_sees_only_its_county(spread, county_user):
    assert names(enterprise_list(viewer=county_user)) == {"410184"}


def test_city_sees_its_counties(spread, city_user):
    assert names(enterprise_list(viewer=city_user)) == {"410184", "410122"}


def test_province_sees_all(spread, province_user):
    assert names(enterprise_list(viewer=province_user)) == {"410184", "410122", "410303", "419001"}


def test_jiyuan_county_and_city_staff_see_jiyuan(spread):
    for role in (User.Role.COUNTY, User.Role.CITY):
        user = factories.staff_user(role, "419001")
        assert names(enterprise_list(viewer=user)) == {"419001"}


def test_enterprise_user_sees_only_itself(spread):
    user = factories.enterprise_user(spread["xinzheng"])
    assert list(enterprise_list(viewer=user)) == [spread["xinzheng"]]


def test_expert_and_inactive_users_see_nothing(spread, county_user):
    expert = factories.expert_user()
    assert not enterprise_list(viewer=expert).exists()
    county_user.is_active = False
    assert not enterprise_list(viewer=county_user).exists()
    assert not county_units_for(county_user).exists()


@pytest.mark.parametrize("url", ["/enterprises/{pk}/", "/enterprises/{pk}/edit/"])
def test_county_user_gets_404_for_other_county_pages(client, spread, county_user, url):
    client.force_login(county_user)
    assert client.get(url.format(pk=spread["zhongmou"].pk)).status_code == 404
    # A missing enterprise answers the same: existence cannot be probed.
    assert client.get(url.format(pk=999999)).status_code == 404
    assert client.get(url.format(pk=spread["xinzheng"].pk)).status_code == 200


def test_enterprise_user_gets_404_for_another_enterprise(client, spread):
    user = factories.enterprise_user(spread["xinzheng"])
    other = factories.enterprise(county="410184")
    client.force_login(user)
    assert client.get(f"/enterprises/{other.pk}/").status_code == 404
    assert client.get(f"/enterprises/{spread['xinzheng'].pk}/").status_code == 200
    assert client.get("/enterprises/").status_code == 302


@pytest.mark.parametrize("suffix", ["", "history/"])
def test_county_user_gets_404_for_other_county_in_api(spread, county_user, suffix):
    api = APIClient()
    api.force_authenticate(county_user)
    assert api.get(f"/api/v1/enterprises/{spread['zhongmou'].pk}/{suffix}").status_code == 404
    assert api.get(f"/api/v1/enterprises/{spread['xinzheng'].pk}/{suffix}").status_code == 200


def test_county_user_cannot_update_other_county_enterprise_in_api(spread, county_user):
    api = APIClient()
    api.force_authenticate(county_user)
    target = spread["zhongmou"]
    response = api.patch(f"/api/v1/enterprises/{target.pk}/", {"address": "x"}, format="json")
    assert response.status_code == 404
    assert Enterprise.objects.get(pk=target.pk).address != "x"


def test_api_list_is_scoped(spread, city_user):
    api = APIClient()
    api.force_authenticate(city_user)
    body = api.get("/api/v1/enterprises/").json()
    assert body["count"] == 2
    assert {r["county"] for r in body["results"]} == {"410184", "410122"}


def test_enterprise_user_cannot_write_through_api(spread):
    user = factories.enterprise_user(spread["xinzheng"])
    api = APIClient()
    api.force_authenticate(user)
    response = api.patch(
        f"/api/v1/enterprises/{spread['xinzheng'].pk}/", {"name": "改名"}, format="json"
    )
    assert response.status_code == 403
    assert "生态环境部门" in response.json()["detail"]


def test_anonymous_gets_nothing(client, spread):
    assert APIClient().get("/api/v1/enterprises/").status_code in (401, 403)
    response = client.get("/enterprises/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- scoping the planner can use: id lists resolved once per request ---------------------------


def test_province_holding_every_unit_is_not_filtered_and_ids_are_resolved_once(
    spread, province_user, city_user, django_assert_num_queries
):
    assert county_unit_ids_for(province_user) is None  # every unit there is: no filter
    ids = county_unit_ids_for(city_user)
    assert set(ids) == set(county_units_for(city_user).values_list("pk", flat=True))
    with django_assert_num_queries(0):
        assert county_unit_ids_for(city_user) == ids
    sql = str(enterprise_list(viewer=city_user).query)
    assert "parent_id" not in sql.split("WHERE", 1)[1]  # an id list, not OR over parents
    # another region for the same user object is never answered from the old one
    city_user.region = Region.objects.get(code="410300")
    assert names(enterprise_list(viewer=city_user)) == {"410303"}


def test_county_filter_is_an_id_list(spread, province_user):
    zhengzhou = Region.objects.get(code="410100")
    assert names(enterprise_list(viewer=province_user, county=zhengzhou)) == {"410184", "410122"}
    xinzheng = Region.objects.get(code="410184")
    assert names(enterprise_list(viewer=province_user, county=xinzheng)) == {"410184"}


def test_api_lists_walk_by_cursor_within_reach(spread, city_user):
    for _ in range(3):
        factories.enterprise(county="410184")
    api = APIClient()
    api.force_authenticate(city_user)
    seen, url = [], "/api/v1/enterprises/?paginate=cursor&page_size=2"
    while url:
        body = api.get(url).json()
        assert "count" not in body
        seen += [e["id"] for e in body["results"]]
        url = body["next"]
    assert seen == sorted(seen)
    assert set(seen) == set(enterprise_list(viewer=city_user).values_list("pk", flat=True))
    paged = api.get("/api/v1/enterprises/?page=1").json()
    assert paged["count"] == len(seen)
