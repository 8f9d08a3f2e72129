"""The expert pool of the review API (/api/v1/review/experts/), R-REV-7."""

import pytest

from review.tests import builders
from review.tests.api_client import CASES, EXPERTS, client_for, messages
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Files go to the test's own folder; the approval form renders in-process when a test
    lets the transaction's on-commit callbacks run."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True


# --- experts --------------------------------------------------------------------------------


def test_expert_pool_city_sees_every_expert_an_expert_only_itself(
    city_user, county_user, n31_expert
):
    other = factories.expert_user(
        industries=[builders.industry("N15")], employer_is_service_agency=True
    )
    pool = client_for(city_user).get(EXPERTS).json()["results"]
    by_name = {e["username"]: e for e in pool}
    assert set(by_name) == {n31_expert.username, other.username}
    assert by_name[other.username]["employer_is_service_agency"] is True
    assert by_name[n31_expert.username]["industries"] == ["N31"]
    own = client_for(n31_expert).get(EXPERTS).json()["results"]
    assert [e["username"] for e in own] == [n31_expert.username]
    assert client_for(n31_expert).get(f"{EXPERTS}{other.username}/").status_code == 404
    response = client_for(county_user).get(EXPERTS)
    assert response.status_code == 403
    assert "专家库" in response.json()["detail"]


def test_r_rev_7_expert_declares_a_conflict_and_is_refused_for_the_panel(
    at_city, enterprise, city_user, n31_expert
):
    response = client_for(n31_expert).post(
        f"{EXPERTS}{n31_expert.username}/conflicts/",
        {"enterprise_uscc": enterprise.uscc.lower(), "kind": "self_acceptance", "note": ""},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["declared_by_expert"] is True
    assert response.json()["enterprise"] == enterprise.pk
    response = client_for(city_user).post(
        f"{CASES}{at_city.pk}/panel/", {"experts": [n31_expert.username]}, format="json"
    )
    assert response.status_code == 400
    assert "R-REV-7" in messages(response.json())


def test_conflict_with_an_unknown_enterprise_is_a_field_error(city_user, n31_expert):
    response = client_for(city_user).post(
        f"{EXPERTS}{n31_expert.username}/conflicts/",
        {"enterprise_uscc": "91410100MA00000000", "kind": "other"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["enterprise_uscc"] == ["未找到该统一社会信用代码的企业"]
