"""The review API (/api/v1/review/): the chain from first review to the province's decision,
what each step refuses, who may see or act on a case, experts, spot checks and the approval
form."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from grading.models import GradeRecord, Industry, User
from grading.services.grades import grade_record_add
from review.models import ReviewCase
from review.tests import builders
from tests import factories

pytestmark = pytest.mark.django_db

CASES = "/api/v1/review/cases/"
EXPERTS = "/api/v1/review/experts/"
SAMPLES = "/api/v1/review/samples/"
PROPOSALS = "/api/v1/review/proposals/"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Files go to the test's own folder; the approval form renders in-process when a test
    lets the transaction's on-commit callbacks run."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def messages(body) -> str:
    """All error texts of a 400/403 body, joined, for `in` assertions."""
    if isinstance(body, dict):
        return " ".join(messages(v) for v in body.values())
    if isinstance(body, list):
        return " ".join(messages(v) for v in body)
    return str(body)


def industry(code: str) -> Industry:
    return Industry.objects.get(code=code)


@pytest.fixture
def second_county_user(db):
    return factories.staff_user(User.Role.COUNTY, "410184")


@pytest.fixture
def n31_expert(db):
    return factories.expert_user(industries=[industry("N31")])


@pytest.fixture
def declaration(enterprise_user):
    """A complete B declaration of 新郑市's printing enterprise, submitted (version 1)."""
    return builders.submitted(enterprise_user, grade="B")


def open_case(county_user, declaration) -> dict:
    response = client_for(county_user).post(
        f"{CASES}open/", {"declaration": declaration.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def verdicts_for(user, declaration, verdict: str = "meets") -> dict:
    """A verdict for every applicable row, the row ids read from the declarations API."""
    rows = client_for(user).get(f"/api/v1/declarations/{declaration.pk}/indicator-rows/")
    assert rows.status_code == 200
    return {
        str(r["id"]): {"verdict": verdict, "text": f"第{r['seq']}项：与申报一致"}
        for r in rows.json()
        if r["applicable"]
    }


def sign_body(decision: str, *, signers, grade: str | None = None, verdicts=None) -> dict:
    body = {
        "decision": decision,
        "summary": "经审核，申报材料齐全，与现场情况一致。",
        "conclusion": "同意按申报等级上报。",
        "signers": [u.username for u in signers],
    }
    if grade:
        body["grade"] = grade
    if verdicts is not None:
        body["verdicts"] = verdicts
    return body


@pytest.fixture
def at_city(declaration, county_user, second_county_user):
    """The case recommended by the county group (built through the services)."""
    case = builders.open_case(county_user, declaration)
    builders.county_recommend(case, [county_user, second_county_user])
    return builders.refresh(case)


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
    cement = factories.expert_user(industries=[industry("N15")])
    response = client_for(city_user).post(
        f"{CASES}{at_city.pk}/panel/", {"experts": [cement.username]}, format="json"
    )
    assert response.status_code == 400
    assert "专家组中至少应有1名" in messages(response.json()["experts"])
    assert "R-REV-6" in messages(response.json()["experts"])


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
    assert "R-REV-8" in messages(response.json()["experts"])


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


@pytest.fixture
def verified_case(at_city, city_user, n31_expert):
    """At the city stage, with a panel, an on-site record and one open rectification."""
    builders.panel_form(at_city, city_user, [n31_expert])
    builders.onsite_record(
        at_city,
        n31_expert,
        rectifications=[("完善台账", timezone.localdate() + datetime.timedelta(days=10))],
    )
    return builders.refresh(at_city)


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


def test_on_site_opinion_has_no_approval_form(verified_case, city_user):
    onsite = verified_case.opinions.get(kind="on_site")
    response = client_for(city_user).post(f"{CASES}{verified_case.pk}/opinions/{onsite.pk}/form/")
    assert response.status_code == 400
    assert "不生成审核意见表" in messages(response.json())


# --- experts --------------------------------------------------------------------------------


def test_expert_pool_city_sees_every_expert_an_expert_only_itself(
    city_user, county_user, n31_expert
):
    other = factories.expert_user(industries=[industry("N15")], employer_is_service_agency=True)
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
            industry=industry(code),
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
