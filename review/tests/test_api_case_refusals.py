"""The review API refuses what a step does not allow (400 naming the rule) and who may not
act (403 with the reason) or see the case (404)."""

import pytest

from review.models import ReviewCase
from review.tests import builders
from review.tests.api_client import (
    CASES,
    EXPERTS,
    client_for,
    messages,
    open_case,
    sign_body,
    verdicts_for,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Files go to the test's own folder; the approval form renders in-process when a test
    lets the transaction's on-commit callbacks run."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True


# --- refusals -------------------------------------------------------------------------------


def test_recommend_without_a_verdict_for_every_row_is_refused(
    declaration, county_user, second_county_user
):
    case = open_case(county_user, declaration)
    verdicts = verdicts_for(county_user, declaration)
    verdicts.pop(next(iter(verdicts)))
    response = client_for(county_user).post(
        f"{CASES}{case['id']}/sign/",
        sign_body(
            "recommend", signers=[county_user, second_county_user], grade="B", verdicts=verdicts
        ),
        format="json",
    )
    assert response.status_code == 400
    assert "请对每项指标给出初审意见" in messages(response.json()["indicators"])
    assert ReviewCase.objects.get(pk=case["id"]).stage == ReviewCase.Stage.COUNTY


def test_r_rev_5_b_recommendation_needs_two_signers(declaration, county_user):
    case = open_case(county_user, declaration)
    response = client_for(county_user).post(
        f"{CASES}{case['id']}/sign/",
        sign_body(
            "recommend",
            signers=[county_user],
            grade="B",
            verdicts=verdicts_for(county_user, declaration),
        ),
        format="json",
    )
    assert response.status_code == 400
    assert "至少2人" in messages(response.json()["signers"])


def test_county_user_cannot_sign_at_the_city_stage(at_city, county_user):
    response = client_for(county_user).post(
        f"{CASES}{at_city.pk}/sign/",
        sign_body("forward", signers=[county_user], grade="B"),
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "只有该企业所属市级生态环境部门可以作出此项审核"


def test_four_eyes_an_expert_who_signed_the_first_review_cannot_sign_the_city_review(
    declaration, county_user, city_user, n31_expert
):
    case = open_case(county_user, declaration)
    response = client_for(county_user).post(
        f"{CASES}{case['id']}/sign/",
        sign_body(
            "recommend",
            signers=[county_user, n31_expert],
            grade="B",
            verdicts=verdicts_for(county_user, declaration),
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    at_city = ReviewCase.objects.get(pk=case["id"])
    builders.city_ready_to_forward(at_city, city_user, n31_expert)
    response = client_for(city_user).post(
        f"{CASES}{at_city.pk}/sign/",
        sign_body("forward", signers=[city_user, n31_expert], grade="B"),
        format="json",
    )
    assert response.status_code == 400
    assert "四眼原则" in messages(response.json()["signers"])


def test_r_rev_6_panel_without_an_expert_of_the_industry_is_refused(at_city, city_user):
    cement = factories.expert_user(industries=[builders.industry("N15")])
    response = client_for(city_user).post(
        f"{CASES}{at_city.pk}/panel/", {"experts": [cement.username]}, format="json"
    )
    assert response.status_code == 400
    assert "专家组中至少应有1名" in messages(response.json()["experts"])
    assert "R-REV" not in messages(response.json()["experts"])


def test_r_rev_8_blacklisted_expert_is_refused_for_the_panel(at_city, city_user, n31_expert):
    city = client_for(city_user)
    response = city.post(
        f"{EXPERTS}{n31_expert.username}/blacklist/",
        {"reason": "gifts", "detail": "收受企业礼品", "document_no": "郑环〔2026〕1号"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["reason"] == "gifts"
    pool = {e["username"]: e for e in city.get(EXPERTS).json()["results"]}
    assert [b["reason"] for b in pool[n31_expert.username]["blacklistings"]] == ["gifts"]
    suggested = city.get(f"{CASES}{at_city.pk}/expert-suggestions/").json()
    assert n31_expert.username not in [e["username"] for e in suggested]

    response = city.post(
        f"{CASES}{at_city.pk}/panel/", {"experts": [n31_expert.username]}, format="json"
    )
    assert response.status_code == 400
    assert "已被列入黑名单" in messages(response.json()["experts"])


def test_unknown_signer_and_bad_verdict_are_field_errors(declaration, county_user):
    case = open_case(county_user, declaration)
    body = sign_body("recommend", signers=[county_user], grade="B")
    body["signers"].append("nobody")
    body["verdicts"] = {"abc": {"verdict": "meets"}}
    response = client_for(county_user).post(f"{CASES}{case['id']}/sign/", body, format="json")
    assert response.status_code == 400
    assert "用户“nobody”不存在" in messages(response.json()["signers"])
    assert "指标 id 应为整数" in messages(response.json()["verdicts"])


# --- jurisdiction ---------------------------------------------------------------------------


def _action_paths(case: ReviewCase) -> list[str]:
    rectification = case.verifications.get().rectifications.get()
    opinion = case.opinions.filter(kind="first_review").get()
    base = f"{CASES}{case.pk}"
    return [
        f"{base}/sign/",
        f"{base}/panel/",
        f"{base}/onsite/",
        f"{base}/rectifications/{rectification.pk}/report/",
        f"{base}/rectifications/{rectification.pk}/verify/",
        f"{base}/opinions/{opinion.pk}/form/",
    ]


def test_county_user_of_another_county_gets_404_everywhere(verified_case, other_county_user):
    other = client_for(other_county_user)
    assert other.get(f"{CASES}{verified_case.pk}/").status_code == 404
    assert other.get(f"{CASES}{verified_case.pk}/expert-suggestions/").status_code == 404
    for path in _action_paths(verified_case):
        response = other.post(path, {}, format="json")
        assert response.status_code == 404, path
    response = other.post(
        f"{CASES}open/", {"declaration": verified_case.declaration_id}, format="json"
    )
    assert response.status_code == 404


def test_enterprise_user_of_another_enterprise_gets_404(verified_case, other_enterprise):
    stranger = client_for(factories.enterprise_user(other_enterprise))
    assert stranger.get(f"{CASES}{verified_case.pk}/").status_code == 404
    assert stranger.get(CASES).json()["results"] == []
    for path in _action_paths(verified_case):
        assert stranger.post(path, {}, format="json").status_code == 404, path


def test_own_enterprise_sees_its_case_but_cannot_sign(verified_case, enterprise_user):
    own = client_for(enterprise_user)
    response = own.get(f"{CASES}{verified_case.pk}/")
    assert response.status_code == 200
    assert response.json()["stage"] == "city"
    response = own.post(
        f"{CASES}{verified_case.pk}/sign/",
        sign_body("forward", signers=[enterprise_user], grade="B"),
        format="json",
    )
    assert response.status_code == 403
    assert "市级生态环境部门" in response.json()["detail"]
    opinion = verified_case.opinions.filter(kind="first_review").get()
    response = own.post(f"{CASES}{verified_case.pk}/opinions/{opinion.pk}/form/")
    assert response.status_code == 403


def test_city_staff_cannot_report_the_enterprises_rectification(verified_case, city_user):
    rectification = verified_case.verifications.get().rectifications.get()
    response = client_for(city_user).post(
        f"{CASES}{verified_case.pk}/rectifications/{rectification.pk}/report/",
        {"note": "代填"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "只有企业本身可以填报整改情况"
