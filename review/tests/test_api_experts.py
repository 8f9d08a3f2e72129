"""The expert pool of the review API (/api/v1/review/experts/), R-REV-7."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from review.models import ExpertBlacklisting, ExpertConflict
from review.services import panels
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


def test_expert_pool_city_sees_its_pools_an_expert_only_itself(
    city_user, county_user, province_user, n31_expert
):
    """郑州 works with its own pool and the provincial one; 开封's pool is not in its reach."""
    provincial = builders.expert("N15")
    kaifeng = builders.expert("N31", pool="410200")
    pool = client_for(city_user).get(EXPERTS).json()["results"]
    by_name = {e["username"]: e for e in pool}
    assert set(by_name) == {n31_expert.username, provincial.username}
    assert by_name[n31_expert.username]["industries"] == ["N31"]
    assert by_name[n31_expert.username]["pools"] == ["410100"]
    assert by_name[provincial.username]["pools"] == ["410000"]
    assert client_for(city_user).get(f"{EXPERTS}{kaifeng.username}/").status_code == 404
    only_city = client_for(city_user).get(f"{EXPERTS}?pool=410100").json()["results"]
    assert [e["username"] for e in only_city] == [n31_expert.username]
    assert client_for(city_user).get(f"{EXPERTS}?pool=410200").status_code == 404
    everyone = client_for(province_user).get(EXPERTS).json()["results"]
    assert {e["username"] for e in everyone} == {
        n31_expert.username,
        provincial.username,
        kaifeng.username,
    }
    own = client_for(n31_expert).get(EXPERTS).json()["results"]
    assert [e["username"] for e in own] == [n31_expert.username]
    assert client_for(n31_expert).get(f"{EXPERTS}{provincial.username}/").status_code == 404
    response = client_for(county_user).get(EXPERTS)
    assert response.status_code == 403
    assert "专家库" in response.json()["detail"]


def test_r_rev_7_expert_declares_a_conflict_and_is_refused_for_the_panel(
    at_city, enterprise, city_user, n31_expert
):
    response = client_for(n31_expert).post(
        f"{EXPERTS}{n31_expert.username}/conflicts/",
        {
            "enterprise_uscc": enterprise.uscc.lower(),
            "enterprise_name": enterprise.name,
            "kind": "self_acceptance",
            "note": "",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["declared_by_expert"] is True
    assert response.json()["enterprise_name"] == enterprise.name
    assert response.json()["enterprise"] is None  # an expert is told no enterprise ids
    response = client_for(city_user).post(
        f"{CASES}{at_city.pk}/panel/", {"experts": [n31_expert.username]}, format="json"
    )
    assert response.status_code == 400
    assert "回避关系" in messages(response.json())


def test_conflict_with_an_unknown_enterprise_is_a_field_error(city_user, n31_expert):
    response = client_for(city_user).post(
        f"{EXPERTS}{n31_expert.username}/conflicts/",
        {"enterprise_uscc": "91410100MA00000000", "kind": "other"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["enterprise_uscc"] == ["未找到该统一社会信用代码的企业"]


# --- The pool in reach (the security audit's attacks) ---------------------------------------


@pytest.fixture
def kaifeng_enterprise(db):
    return factories.enterprise(county="410202", industry="N31", name="开封市鼎盛铸造有限公司")


def test_r_rev_7_a_city_records_no_conflict_with_another_citys_enterprise(
    city_user, n31_expert, kaifeng_enterprise
):
    """Attack: 郑州 recorded a conflict with an enterprise of 开封 (201, with its name and id in
    the answer). Now the answer is the one for a code nobody holds, and nothing is kept."""
    url = f"{EXPERTS}{n31_expert.username}/conflicts/"
    attack = client_for(city_user).post(
        url, {"enterprise_uscc": kaifeng_enterprise.uscc, "kind": "other"}, format="json"
    )
    unknown = client_for(city_user).post(
        url, {"enterprise_uscc": factories.valid_uscc("410202"), "kind": "other"}, format="json"
    )
    assert attack.status_code == unknown.status_code == 400
    assert (
        attack.json() == unknown.json() == {"enterprise_uscc": ["未找到该统一社会信用代码的企业"]}
    )
    body = attack.content.decode()
    assert kaifeng_enterprise.name not in body and str(kaifeng_enterprise.pk) not in body
    assert not ExpertConflict.objects.exists()
    # Through the service directly, the same answer.
    with pytest.raises(ValidationError) as exc:
        panels.conflict_record(
            actor=city_user, expert=n31_expert, enterprise=kaifeng_enterprise, kind="other"
        )
    assert exc.value.message_dict == {"enterprise_uscc": ["未找到该统一社会信用代码的企业"]}


def test_r_rev_8_a_city_cannot_blacklist_an_expert_on_another_citys_panel(
    city_user, kaifeng_enterprise
):
    """Attack: 郑州 blacklisted an expert sitting on 开封's panel. That expert is of 开封's pool,
    not in 郑州's reach: 404, nothing recorded; an expert of the provincial pool 郑州 works
    with is the province's to blacklist (403 with the reason)."""
    kaifeng_expert = builders.expert("N31", pool="410200")
    body = {"reason": "gifts", "detail": "收受礼品"}
    response = client_for(city_user).post(
        f"{EXPERTS}{kaifeng_expert.username}/blacklist/", body, format="json"
    )
    assert response.status_code == 404
    provincial = builders.expert("N31")
    response = client_for(city_user).post(
        f"{EXPERTS}{provincial.username}/blacklist/", body, format="json"
    )
    assert response.status_code == 403
    assert "只能将本市专家库中的专家列入黑名单" in response.json()["detail"]
    assert not ExpertBlacklisting.objects.exists()
    page = Client()
    page.force_login(city_user)
    answer = page.post(
        "/review/experts/",
        {"action": "blacklist", "expert": kaifeng_expert.pk, "reason": "gifts", "detail": "x"},
    )
    assert answer.status_code == 200 and not ExpertBlacklisting.objects.exists()
    kaifeng_city = builders.city_staff("410200")
    response = client_for(kaifeng_city).post(
        f"{EXPERTS}{kaifeng_expert.username}/blacklist/", body, format="json"
    )
    assert response.status_code == 201, response.json()


def test_r_rev_7_an_experts_own_declaration_is_no_code_to_name_lookup(
    n31_expert, kaifeng_enterprise
):
    """Attack: any expert posted conflicts with any credit code and read the enterprise's
    name in the answer. A declaration names the enterprise by code and full name; a wrong or
    missing name gets the same answer as an unknown code, and names nothing."""
    url = f"{EXPERTS}{n31_expert.username}/conflicts/"
    expert = client_for(n31_expert)
    answers = [
        expert.post(url, {"enterprise_uscc": kaifeng_enterprise.uscc, "kind": "other"}),
        expert.post(
            url,
            {
                "enterprise_uscc": kaifeng_enterprise.uscc,
                "enterprise_name": "开封",
                "kind": "other",
            },
        ),
        expert.post(
            url,
            {
                "enterprise_uscc": factories.valid_uscc("410202"),
                "enterprise_name": kaifeng_enterprise.name + "x",
                "kind": "other",
            },
        ),
    ]
    for answer in answers:
        assert answer.status_code == 400
        assert answer.json() == {"enterprise_name": ["未找到名称与统一社会信用代码均相符的企业"]}
        assert kaifeng_enterprise.name not in answer.content.decode()
    assert not ExpertConflict.objects.exists()
    named = expert.post(
        url,
        {
            "enterprise_uscc": kaifeng_enterprise.uscc,
            "enterprise_name": kaifeng_enterprise.name,
            "kind": "cleaner_production",
        },
    )
    assert named.status_code == 201 and named.json()["enterprise"] is None


def test_r_rev_7_conflicts_are_read_only_within_reach(
    city_user, province_user, n31_expert, kaifeng_enterprise
):
    """Attack: every city saw every expert's conflicts. 郑州 sees the expert but not its
    conflict with 开封's enterprise; 开封 and the province do."""
    provincial = builders.expert("N31")
    kaifeng_city = builders.city_staff("410200")
    panels.conflict_record(
        actor=kaifeng_city, expert=provincial, enterprise=kaifeng_enterprise, kind="agency"
    )
    zhengzhou = client_for(city_user).get(f"{EXPERTS}{provincial.username}/")
    assert zhengzhou.status_code == 200
    assert zhengzhou.json()["conflicts"] == []
    assert kaifeng_enterprise.name not in client_for(city_user).get(EXPERTS).content.decode()
    page = Client()
    page.force_login(city_user)
    assert kaifeng_enterprise.name not in page.get("/review/experts/").content.decode()
    for reader in (kaifeng_city, province_user):
        shown = client_for(reader).get(f"{EXPERTS}{provincial.username}/").json()
        assert [c["enterprise_name"] for c in shown["conflicts"]] == [kaifeng_enterprise.name]
        assert shown["conflicts"][0]["enterprise"] == kaifeng_enterprise.pk
