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
    assert drawn(first.json()) == drawn(again.json())
    # One at least from each (city, industry) stratum.
    assert {(i["city"], i["industry"]) for i in first.json()["items"]} == {
        ("410100", "N31"),
        ("410200", "N15"),
    }
    listed = province.get(SAMPLES).json()
    assert listed["count"] == 2
    detail = province.get(f"{SAMPLES}{first.json()['id']}/").json()
    assert drawn(detail) == drawn(first.json())


def test_city_user_gets_403_on_samples_and_proposals(graded_population, city_user):
    city = client_for(city_user)
    for response in (
        city.get(SAMPLES),
        city.post(SAMPLES, {"year": 2026, "percentage": "10"}, format="json"),
        city.get(PROPOSALS),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == "只有省级生态环境部门可以组织抽查复核"


def test_failed_spot_check_downgrades_and_proposes_the_industry_downgrade(
    graded_population, province_user
):
    province = client_for(province_user)
    sample = province.post(
        SAMPLES, {"year": 2026, "percentage": "10", "seed": 7}, format="json"
    ).json()
    item = next(i for i in sample["items"] if i["industry"] == "N15")
    response = province.post(
        f"{SAMPLES}{sample['id']}/items/{item['id']}/result/",
        {"passed": False, "findings": "治理设施未正常运行"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["result"], response.json()["downgrade_to"]) == ("failed", "C")
    response = province.post(
        f"{SAMPLES}{sample['id']}/items/{item['id']}/result/",
        {"passed": True, "findings": "再次记录"},
        format="json",
    )
    assert response.status_code == 400
    assert "已记录" in messages(response.json())

    [proposal] = province.get(PROPOSALS).json()["results"]
    assert (proposal["industry"], proposal["checked"], proposal["passed"]) == ("N15", 1, 0)
    assert proposal["status"] == "proposed"
    response = province.post(
        f"{PROPOSALS}{proposal['id']}/decide/",
        {"confirm": True, "reason": "水泥行业抽查合格率低于60%"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["affected"]) == ("confirmed", 2)


def test_administrator_draws_from_every_graded_enterprise(graded_population):
    response = client_for(factories.admin_user()).post(
        SAMPLES, {"year": 2026, "percentage": "30", "seed": 1}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["population"] == 10
