"""A page and its API give the same answer for every role: cases, the expert pool, and the
province's spot-check samples and downgrade proposals. Both 200, both 404 (outside reach,
the same as missing), or 403 on both; where a role sees a case but may not act on it, the
page shows the rule's reason and the API answers 403 with the same reason."""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from grading.models import Industry
from review.models import IndustryDowngradeProposal, SpotCheckSample
from review.rules import allows, refusal
from review.tests import builders
from review.tests.api_client import CASES, EXPERTS, PROPOSALS, SAMPLES, client_for, sign_body
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = (
    "own_enterprise",
    "other_enterprise",
    "county",
    "other_county",
    "city",
    "other_city",
    "province",
    "panel_expert",
    "other_expert",
    "admin",
)
#: Who sees 新郑市's case at the city stage (404 for the others).
SEE_THE_CASE = {"own_enterprise", "county", "city", "province", "panel_expert", "admin"}
READ_THE_POOL = {"city", "other_city", "province", "panel_expert", "other_expert", "admin"}
RUN_SPOT_CHECKS = {"city", "other_city", "province", "admin"}
#: The province's sample and its proposal: the province reads and acts; a city sees only its
#: own samples (404 for the province's), the others may not run spot checks at all (403).
HOLD_THE_PROVINCES_SAMPLE = {"province", "admin"}


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


def administrator():
    """An administrator's account without Django's superuser flag: the navigation of every
    page (grading's hooks) asks ``user.has_perm``, which a superuser passes for the enterprise
    menu too and then has no enterprise to link. The review rules answer the role the same
    either way (``review.rules.allows`` does not let the superuser flag through)."""
    admin = factories.admin_user()
    admin.is_superuser = False
    admin.save(update_fields=["is_superuser"])
    return admin


@pytest.fixture
def people(
    enterprise_user, other_enterprise, county_user, other_county_user, city_user, province_user
):
    return {
        "own_enterprise": enterprise_user,
        "other_enterprise": factories.enterprise_user(other_enterprise),
        "county": county_user,
        "other_county": other_county_user,
        "city": city_user,
        "other_city": builders.city_staff("410200"),
        "province": province_user,
        "panel_expert": builders.expert("N31"),
        "other_expert": builders.expert("N31"),
        "admin": administrator(),
    }


@pytest.fixture
def world(people, at_city, city_user, province_user):
    """The case at the city with its panel, a sample and an open downgrade proposal."""
    builders.panel_form(at_city, city_user, [people["panel_expert"]])
    sample = SpotCheckSample.objects.create(
        region=province_user.region,
        year=timezone.localdate().year,
        percentage=Decimal("10"),
        seed=7,
        grade_codes=["B"],
        population=0,
        drawn_by=province_user,
    )
    proposal = IndustryDowngradeProposal.objects.create(
        sample=sample,
        year=timezone.localdate().year - 1,
        industry=Industry.objects.get(code="N15"),
        checked=5,
        passed=1,
    )
    return {"case": builders.refresh(at_city), "sample": sample, "proposal": proposal}


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def both(page_response, api_response) -> tuple[int, int]:
    return page_response.status_code, api_response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_the_case_page_and_api_agree(people, world, role):
    user, case = people[role], world["case"]
    page, api = page_client(user), client_for(user)
    expected = 200 if role in SEE_THE_CASE else 404
    assert both(page.get(f"/review/cases/{case.pk}/"), api.get(f"{CASES}{case.pk}/")) == (
        expected,
        expected,
    )
    listed = [c["id"] for c in api.get(CASES).json()["results"]]
    assert (case.pk in listed) == (role in SEE_THE_CASE)

    # Signing the city's decision: refused alike to those who see the case but may not sign.
    body = sign_body("forward", signers=[user], grade="B")
    page_answer = page.post(
        f"/review/cases/{case.pk}/",
        {"action": "decide", "d-decision": "forward", "d-summary": "x", "d-conclusion": "y"},
    )
    api_answer = api.post(f"{CASES}{case.pk}/sign/", body, format="json")
    if role not in SEE_THE_CASE:
        assert both(page_answer, api_answer) == (404, 404)
    elif not allows(user, "review.sign_opinion", case):
        reason = refusal(user, "review.sign_opinion", case)
        assert both(page_answer, api_answer) == (200, 403)
        assert reason in page_answer.content.decode()
        assert api_answer.json()["detail"] == reason
    else:
        # The city signs; without its on-site record and signers the decision is refused
        # beside the form and with the rule in the API.
        assert role == "city"
        assert both(page_answer, api_answer) == (200, 400)
        assert 'name="action" value="decide"' in page_answer.text


@pytest.mark.parametrize("role", ROLES)
def test_the_expert_pool_page_and_api_agree(people, world, role):
    user = people[role]
    page, api = page_client(user).get("/review/experts/"), client_for(user).get(EXPERTS)
    expected = 200 if role in READ_THE_POOL else 403
    assert both(page, api) == (expected, expected)
    if expected == 403:
        assert api.json()["detail"] == refusal(user, "review.view_experts")
        return
    shown = {e.username for e in page.context["page"]}
    assert shown == {e["username"] for e in api.json()["results"]}
    if role in ("panel_expert", "other_expert"):
        assert shown == {user.username}


@pytest.mark.parametrize("role", ROLES)
def test_spot_check_pages_and_api_agree(people, world, role):
    user, sample, proposal = people[role], world["sample"], world["proposal"]
    page, api = page_client(user), client_for(user)
    expected = 200 if role in RUN_SPOT_CHECKS else 403
    assert both(page.get("/review/spot-checks/"), api.get(SAMPLES)) == (expected, expected)
    assert both(page.get("/review/spot-checks/"), api.get(PROPOSALS)) == (expected, expected)
    held = 200 if role in HOLD_THE_PROVINCES_SAMPLE else (404 if expected == 200 else 403)
    assert both(
        page.get(f"/review/spot-checks/{sample.pk}/"), api.get(f"{SAMPLES}{sample.pk}/")
    ) == (held, held)
    missing = sample.pk + 1000
    assert both(page.get(f"/review/spot-checks/{missing}/"), api.get(f"{SAMPLES}{missing}/")) == (
        (404, 404) if expected == 200 else (403, 403)
    )

    # Deciding a proposal without a reason: the province is told to give one on both; a city
    # does not see the province's proposal; the others are refused on both.
    page_answer = page.post(f"/review/proposals/{proposal.pk}/", {"confirm": "1", "reason": ""})
    api_answer = api.post(
        f"{PROPOSALS}{proposal.pk}/decide/", {"confirm": True, "reason": ""}, format="json"
    )
    if held != 200:
        assert both(page_answer, api_answer) == (held, held)
        return
    assert both(page_answer, api_answer) == (302, 400)
    assert "请填写理由" in str(api_answer.json())
    shown = page.get(page_answer["Location"])
    assert "请填写理由" in shown.text
    assert [p["id"] for p in api.get(PROPOSALS).json()["results"]] == [
        p.pk for p in shown.context["proposals"]
    ]
    proposal.refresh_from_db()
    assert proposal.status == IndustryDowngradeProposal.Status.PROPOSED
