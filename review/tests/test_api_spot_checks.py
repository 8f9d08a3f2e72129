"""Spot checks in the review API (/api/v1/review/samples/ and proposals/), R-REV-9."""

import datetime

import pytest
from django.utils import timezone

from grading.models import GradeRecord
from grading.services.grades import grade_record_add
from review.tests import builders
from review.tests.api_client import PROPOSALS, SAMPLES, client_for, messages
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Files go to the test's own folder; the approval form renders in-process when a test
    lets the transaction's on-commit callbacks run."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True


# --- spot checks (R-REV-9) ------------------------------------------------------------------


@pytest.fixture
def graded_population(province_user):
    """Ten enterprises graded B: printing in two counties of 郑州, cement in 开封."""
    since = timezone.localdate() - datetime.timedelta(days=60)
    rows = [("410184", "N31")] * 4 + [("410122", "N31")] * 3 + [("410221", "N15")] * 3
    enterprises = []
    for county, code in rows:
        ent = factories.enterprise(county=county, industry=code)
        grade_record_add(
            actor=province_user,
            enterprise=ent,
            industry=builders.industry(code),
            grade=builders.grade("B"),
            effective_from=since,
            source=GradeRecord.Source.IMPORT,
        )
        enterprises.append(ent)
    return enterprises


def test_sample_draw_with_a_seed_is_reproducible(graded_population, province_user):
    province = client_for(province_user)
    body = {"year": timezone.localdate().year, "percentage": "30", "seed": 20260601}
    first = province.post(SAMPLES, body, format="json")
    assert first.status_code == 201, first.json()
    again = province.post(SAMPLES, body, format="json")
    assert again.status_code == 201

    def drawn(sample: dict) -> list[tuple[int, str]]:
        return sorted((i["enterprise"], i["industry"]) for i in sample["items"])

    assert first.json()["seed"] == 20260601 and first.json()["population"] == 10
    assert first.json()["region"] == "410000" and first.json()["requested"] == 3
    assert drawn(first.json()) == drawn(again.json())
    # 30% of 10 is 3; each industry topped up to the province's minimum (5, or all 3 of
    # cement).
    assert {(i["city"], i["industry"]) for i in first.json()["items"]} == {
        ("410100", "N31"),
        ("410200", "N15"),
    }
    rates = {r["industry"]: r for r in first.json()["pass_rates"]}
    assert (rates["N31"]["drawn"], rates["N15"]["drawn"]) == (5, 3)
    assert not rates["N31"]["judged"] and rates["N31"]["rate"] is None
    listed = province.get(SAMPLES).json()
    assert listed["count"] == 2
    detail = province.get(f"{SAMPLES}{first.json()['id']}/").json()
    assert drawn(detail) == drawn(first.json())


def test_r_rev_9_the_plan_shows_strata_and_size_before_the_draw(graded_population, city_user):
    """A city's plan: its counties × industries, the share and the size; nothing is drawn."""
    city = client_for(city_user)
    response = city.post(f"{SAMPLES}plan/", {"percentage": "30"}, format="json")
    assert response.status_code == 200, response.json()
    plan = response.json()
    assert (plan["region"], plan["population"], plan["requested"]) == ("410100", 7, 3)
    assert plan["size"] == 5  # printing is topped up to the minimum of 5
    assert {(s["unit"], s["industry"], s["population"]) for s in plan["strata"]} == {
        ("410184", "N31", 4),
        ("410122", "N31", 3),
    }
    assert sum(s["drawn"] for s in plan["strata"]) == plan["size"]
    assert [(i["industry"], i["drawn"], i["topped_up"]) for i in plan["industries"]] == [
        ("N31", 5, 2)
    ]
    assert city.get(SAMPLES).json()["count"] == 0


def test_r_rev_9_a_city_draws_its_counties_and_another_city_gets_404(
    graded_population, city_user, province_user
):
    city = client_for(city_user)
    response = city.post(SAMPLES, {"year": 2026, "percentage": "100", "seed": 3}, format="json")
    assert response.status_code == 201, response.json()
    sample = response.json()
    assert sample["region"] == "410100" and len(sample["items"]) == 7
    assert {i["city"] for i in sample["items"]} == {"410100"}

    other = client_for(builders.city_staff("410200"))
    assert other.get(f"{SAMPLES}{sample['id']}/").status_code == 404
    assert other.get(SAMPLES).json()["count"] == 0
    item = sample["items"][0]
    result = {"passed": True, "findings": "符合"}
    url = f"{SAMPLES}{sample['id']}/items/{item['id']}/result/"
    assert other.post(url, result, format="json").status_code == 404
    # The province reads its city's sample but records nothing in it.
    province = client_for(province_user)
    assert province.get(f"{SAMPLES}{sample['id']}/").status_code == 200
    refused = province.post(url, result, format="json")
    assert refused.status_code == 403
    assert "只有组织该次抽查的生态环境部门" in messages(refused.json())
    assert city.post(url, result, format="json").status_code == 200


def test_county_user_gets_403_on_samples_and_proposals(graded_population, county_user):
    county = client_for(county_user)
    for response in (
        county.get(SAMPLES),
        county.post(SAMPLES, {"year": 2026, "percentage": "10"}, format="json"),
        county.post(f"{SAMPLES}plan/", {"percentage": "10"}, format="json"),
        county.get(PROPOSALS),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == "只有省级、市级生态环境部门可以组织抽查复核"


def test_r_rev_9_a_failed_check_names_its_grade_and_the_industry_is_judged_when_complete(
    graded_population, province_user
):
    province = client_for(province_user)
    sample = province.post(
        SAMPLES, {"year": 2026, "percentage": "10", "seed": 7}, format="json"
    ).json()
    cement = [i for i in sample["items"] if i["industry"] == "N15"]
    assert len(cement) == 3  # 10% of 10 is 1, cement topped up to all its 3
    url = f"{SAMPLES}{sample['id']}/items/{{}}/result/"
    # Tried: "不符合" without a target grade downgraded by itself.
    response = province.post(
        url.format(cement[0]["id"]),
        {"passed": False, "findings": "治理设施未正常运行"},
        format="json",
    )
    assert response.status_code == 400
    assert "不符合时须选择降级后的等级" in messages(response.json())
    response = province.post(
        url.format(cement[0]["id"]),
        {"passed": False, "findings": "治理设施未正常运行", "downgrade_to": "C"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["result"], response.json()["downgrade_to"]) == ("failed", "C")
    response = province.post(
        url.format(cement[0]["id"]), {"passed": True, "findings": "再次记录"}, format="json"
    )
    assert response.status_code == 400
    assert "已记录" in messages(response.json())
    # One failed check of three: nothing proposed yet.
    assert province.get(PROPOSALS).json()["count"] == 0
    for item in cement[1:]:
        body = {"passed": False, "findings": "不符合", "downgrade_to": "C"}
        assert province.post(url.format(item["id"]), body, format="json").status_code == 200

    [proposal] = province.get(PROPOSALS).json()["results"]
    assert (proposal["industry"], proposal["checked"], proposal["passed"]) == ("N15", 3, 0)
    assert (proposal["status"], proposal["sample"]) == ("proposed", sample["id"])
    response = province.post(
        f"{PROPOSALS}{proposal['id']}/decide/",
        {"confirm": True, "reason": "水泥行业抽查合格率低于60%"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    # All three were downgraded by their checks already: none left at B.
    assert (response.json()["status"], response.json()["affected"]) == ("confirmed", 0)


def test_r_rev_9_the_province_sets_the_thresholds(graded_population, province_user, city_user):
    url = f"{SAMPLES}policy/"
    assert client_for(province_user).get(url).json() == {"min_per_industry": 5, "min_decided": 5}
    refused = client_for(city_user).put(url, {"min_per_industry": 2, "min_decided": 2})
    assert refused.status_code == 403
    response = client_for(province_user).put(
        url, {"min_per_industry": 2, "min_decided": 3}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert client_for(city_user).get(url).json() == {"min_per_industry": 2, "min_decided": 3}


def test_administrator_draws_from_every_graded_enterprise(graded_population):
    response = client_for(factories.admin_user()).post(
        SAMPLES, {"year": 2026, "percentage": "30", "seed": 1}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["population"] == 10
