"""The review API (/api/v1/review/cases/): the chain from first review to the province's
decision, listing cases, on-site records and the approval form."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from review.tests import builders
from review.tests.api_client import CASES, client_for, messages, open_case, sign_body, verdicts_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Files go to the test's own folder; the approval form renders in-process when a test
    lets the transaction's on-commit callbacks run."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True


# --- the chain ------------------------------------------------------------------------------


def test_chain_from_first_review_to_province_confirmation_grades_the_enterprise_b(
    enterprise,
    enterprise_user,
    declaration,
    county_user,
    second_county_user,
    city_user,
    province_user,
    n31_expert,
):
    today = timezone.localdate()
    county = client_for(county_user)

    # The county accepts the declaration and its group recommends B, every row judged.
    case = open_case(county_user, declaration)
    assert case["stage"] == "county"
    assert case["declaration"] == {"id": declaration.pk, "number": declaration.number}
    assert (case["enterprise_name"], case["county"], case["industry"]) == (
        enterprise.name,
        "410184",
        "N31",
    )
    assert case["requested_grade"] == "B" and case["county_due"] and case["opinions"] == []
    cid = case["id"]
    verdicts = verdicts_for(county_user, declaration)
    response = county.post(
        f"{CASES}{cid}/sign/",
        sign_body(
            "recommend",
            signers=[second_county_user, county_user],
            grade="B",
            verdicts=verdicts,
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    opinion = response.json()
    assert (opinion["kind"], opinion["decision"], opinion["grade"]) == (
        "first_review",
        "recommend",
        "B",
    )
    assert sorted(opinion["signers"]) == sorted([county_user.username, second_county_user.username])
    assert opinion["signed_by"] == county_user.username
    assert {str(i["row"]) for i in opinion["indicators"]} == set(verdicts)
    assert [(f["revision"], f["status"]) for f in opinion["forms"]] == [(1, "pending")]

    # The city asks for experts, forms the panel with the printing expert.
    city = client_for(city_user)
    detail = city.get(f"{CASES}{cid}/").json()
    assert (detail["stage"], detail["proposed_grade"], detail["panel"]) == ("city", "B", None)
    assert detail["city_due"]
    suggestions = city.get(f"{CASES}{cid}/expert-suggestions/")
    assert suggestions.status_code == 200
    first = suggestions.json()[0]
    assert first["username"] == n31_expert.username and first["knows_industry"] is True
    assert first["industries"] == ["N31"]
    response = city.post(
        f"{CASES}{cid}/panel/",
        {"experts": [n31_expert.username], "leader": n31_expert.username},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["members"] == [
        {"username": n31_expert.username, "name": n31_expert.display_name, "is_leader": True}
    ]

    # The panel's expert sees the case and records the visit (multipart, with a photo).
    expert = client_for(n31_expert)
    assert [c["id"] for c in expert.get(CASES).json()["results"]] == [cid]
    findings = dict(list(verdicts.items())[:2])
    response = expert.post(
        f"{CASES}{cid}/onsite/",
        {
            "visited_on": today.isoformat(),
            "recommended_grade": "B",
            "summary": "现场核查：治理设施运行正常，与申报一致。",
            "conclusion": "建议认定为B级。",
            "signers": [n31_expert.username],
            "findings": json.dumps(findings),
            "rectifications": json.dumps(
                [
                    {
                        "requirement": "完善VOCs治理设施运行台账",
                        "due_on": (today + datetime.timedelta(days=30)).isoformat(),
                    }
                ]
            ),
            "photos": [builders.png_upload("车间.png")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    verification = response.json()
    assert verification["recommended_grade"] == "B"
    assert [p["content_type"] for p in verification["photos"]] == ["image/png"]
    [rectification] = verification["rectifications"]
    assert rectification["status"] == "open"
    rid = rectification["id"]

    # R-DECL-6: the city cannot forward while the rectification is open.
    forward = sign_body("forward", signers=[city_user], grade="B")
    response = city.post(f"{CASES}{cid}/sign/", forward, format="json")
    assert response.status_code == 400
    assert "整改要求尚有1项未核实" in messages(response.json())

    response = client_for(enterprise_user).post(
        f"{CASES}{cid}/rectifications/{rid}/report/", {"note": "已建立运行台账"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "done"
    response = city.post(
        f"{CASES}{cid}/rectifications/{rid}/verify/", {"note": "台账已核实"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["followed_up_by"]) == (
        "verified",
        city_user.username,
    )

    response = city.post(f"{CASES}{cid}/sign/", forward, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["kind"], response.json()["decision"]) == ("city_review", "forward")

    # The province confirms B.
    province = client_for(province_user)
    assert province.get(f"{CASES}{cid}/").json()["stage"] == "province"
    response = province.post(
        f"{CASES}{cid}/sign/",
        sign_body("confirm", signers=[province_user], grade="B"),
        format="json",
    )
    assert response.status_code == 201, response.json()
    detail = province.get(f"{CASES}{cid}/").json()
    assert (detail["stage"], detail["city_grade"], detail["final_grade"]) == ("decided", "B", "B")
    assert detail["decided_on"] == today.isoformat()
    assert [o["kind"] for o in detail["opinions"]] == [
        "first_review",
        "on_site",
        "city_review",
        "province_check",
    ]
    assert detail["panel"]["members"][0]["username"] == n31_expert.username
    assert detail["verifications"][0]["rectifications"][0]["status"] == "verified"

    graded = province.get(f"/api/v1/enterprises/{enterprise.pk}/")
    assert graded.status_code == 200
    assert graded.json()["overall_grade"] == "B"


def test_case_list_filters_by_stage(at_city, county_user, city_user, other_county_user):
    county = client_for(county_user)
    assert [c["id"] for c in county.get(CASES, {"stage": "city"}).json()["results"]] == [at_city.pk]
    assert county.get(CASES, {"stage": "county"}).json()["results"] == []
    assert county.get(CASES, {"stage": "nonsense"}).status_code == 400
    assert client_for(other_county_user).get(CASES).json()["results"] == []


def test_onsite_accepts_a_json_body(at_city, city_user, n31_expert):
    builders.panel_form(at_city, city_user, [n31_expert])
    row = at_city.declaration.indicator_rows.filter(applicable=True).first()
    response = client_for(city_user).post(
        f"{CASES}{at_city.pk}/onsite/",
        {
            "visited_on": timezone.localdate().isoformat(),
            "recommended_grade": "B",
            "summary": "现场核查情况",
            "conclusion": "建议认定为B级",
            "signers": [n31_expert.username, city_user.username],
            "findings": {str(row.pk): {"verdict": "meets"}},
            "rectifications": [],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["rectifications"] == []


# --- the approval form ----------------------------------------------------------------------


def test_approval_form_request_adds_a_revision(
    at_city, county_user, django_capture_on_commit_callbacks
):
    opinion = at_city.opinions.get(kind="first_review")
    county = client_for(county_user)

    def forms() -> list[dict]:
        detail = county.get(f"{CASES}{at_city.pk}/").json()
        return next(o for o in detail["opinions"] if o["id"] == opinion.pk)["forms"]

    assert [f["revision"] for f in forms()] == [1]
    with django_capture_on_commit_callbacks(execute=True):
        response = county.post(f"{CASES}{at_city.pk}/opinions/{opinion.pk}/form/")
    assert response.status_code == 202, response.json()
    assert response.json()["revision"] == 2
    after = forms()
    assert [f["revision"] for f in after] == [2, 1]
    rendered = after[0]
    assert rendered["status"] == "ready" and len(rendered["sha256"]) == 64
    assert rendered["download_url"] == f"/review/forms/{rendered['id']}/download/"
    web = Client()
    web.force_login(county_user)
    download = web.get(rendered["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_r_rev_3_on_site_opinion_has_its_verification_form_asked_again_as_a_revision(
    verified_case, city_user, n31_expert
):
    """The on-site record's 现场核查意见表 is kept like the approval forms: asking again makes
    a new revision and the first stays; the panel's expert reads it but does not produce it."""
    onsite = verified_case.opinions.get(kind="on_site")
    case_url = f"{CASES}{verified_case.pk}/"
    listed = client_for(city_user).get(case_url).json()
    forms = next(o for o in listed["opinions"] if o["id"] == onsite.pk)["forms"]
    assert [f["revision"] for f in forms] == [1]
    refused = client_for(n31_expert).post(f"{case_url}opinions/{onsite.pk}/form/")
    assert refused.status_code == 403
    response = client_for(city_user).post(f"{case_url}opinions/{onsite.pk}/form/")
    assert response.status_code == 202, response.json()
    assert response.json()["revision"] == 2
    assert list(onsite.forms.order_by("revision").values_list("revision", flat=True)) == [1, 2]
