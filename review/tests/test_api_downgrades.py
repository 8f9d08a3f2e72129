"""A downgrade case walked end to end through the API (/api/v1/review/downgrades/, R-DYN-1):
the county reports an inspection problem, the city forms the second-review panel, the expert
signs its opinion, the county signs the outcome four-eyes, the grade follows; and the pages."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from grading.models import GradeRecord
from grading.services.grades import grade_record_add
from review.models import CaseOpinionForm, DowngradeCase
from review.tests import builders
from review.tests.api_client import client_for, messages
from tests import factories

pytestmark = pytest.mark.django_db

DOWNGRADES = "/api/v1/review/downgrades/"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)
    import review.tasks

    monkeypatch.setattr(review.tasks.render_case_form, "delay", lambda *a, **k: None)


@pytest.fixture
def graded(enterprise):
    grade_record_add(
        actor=None,
        enterprise=enterprise,
        industry=builders.industry("N31"),
        grade=builders.grade("B"),
        effective_from=datetime.date(2025, 6, 1),
        source=GradeRecord.Source.REVIEW,
    )
    return enterprise


def outcome_body(outcome: str, signers, grade: str | None = None) -> dict:
    body = {
        "outcome": outcome,
        "summary": "专家组现场复核：VOCs收集效率不满足B级要求。",
        "conclusion": "按R-DYN-1降为C级。",
        "signers": [u.username for u in signers],
    }
    if grade:
        body["grade"] = grade
    return body


def test_r_dyn_1_a_downgrade_case_end_to_end_through_the_api(
    graded, enterprise_user, county_user, second_county_user, other_county_user, city_user
):
    expert = builders.expert("N31", pool="410100")
    county = client_for(county_user)
    opened = county.post(
        DOWNGRADES,
        {
            "enterprise": graded.pk,
            "reason": "inspection",
            "detail": "专项执法检查发现VOCs收集系统破损",
            "occurred_on": timezone.localdate().isoformat(),
            "reference": "新环检〔2026〕5号",
        },
        format="json",
    )
    assert opened.status_code == 201, opened.json()
    case = opened.json()
    assert (case["stage"], case["needs_second_review"], case["reasons"]) == (
        "second_review",
        True,
        ["inspection"],
    )
    url = f"{DOWNGRADES}{case['id']}/"
    # Out of reach: 404, as a missing case; the county cannot decide before the review.
    assert client_for(other_county_user).get(url).status_code == 404
    refused = county.post(
        f"{url}decide/",
        outcome_body("downgrade", [county_user, second_county_user], "C"),
        format="json",
    )
    assert refused.status_code == 400 and "须经专家二次审核" in messages(refused.json())

    city = client_for(city_user)
    suggested = city.get(f"{url}expert-suggestions/").json()
    assert expert.username in [e["username"] for e in suggested]
    assert county.get(f"{url}expert-suggestions/").status_code == 403
    formed = city.post(f"{url}panel/", {"experts": [expert.username]}, format="json")
    assert formed.status_code == 200, formed.json()
    assert formed.json()["panel"]["members"][0]["username"] == expert.username

    reviewed = client_for(expert).post(
        f"{url}second-review/", outcome_body("downgrade", [expert], "C"), format="json"
    )
    assert reviewed.status_code == 201, reviewed.json()
    assert reviewed.json()["kind"] == "second_review"
    assert client_for(expert).get(url).json()["stage"] == "county"

    one_signer = county.post(
        f"{url}decide/", outcome_body("downgrade", [county_user], "C"), format="json"
    )
    assert one_signer.status_code == 400 and "四眼原则" in messages(one_signer.json())
    decided = county.post(
        f"{url}decide/",
        outcome_body("downgrade", [county_user, second_county_user], "C"),
        format="json",
    )
    assert decided.status_code == 201, decided.json()
    shown = client_for(enterprise_user).get(url).json()
    assert (shown["stage"], shown["outcome"], shown["grade_before"], shown["grade"]) == (
        "decided",
        "downgrade",
        "B",
        "C",
    )
    assert [o["kind"] for o in shown["opinions"]] == ["second_review", "decision"]
    assert all(o["forms"][0]["revision"] == 1 for o in shown["opinions"])
    assert shown["appeal_due"] == (timezone.localdate() + datetime.timedelta(days=15)).isoformat()
    record = GradeRecord.objects.get(enterprise=graded, effective_to__isnull=True)
    assert (record.grade.code, record.source, record.source_ref) == (
        "C",
        GradeRecord.Source.DOWNGRADE,
        shown["number"],
    )
    ent_view = client_for(enterprise_user).get(f"/api/v1/enterprises/{graded.pk}/").json()
    assert ent_view["overall_grade"] == "C"
    # Asking for a form again: the bureaus, not the enterprise.
    opinion = shown["opinions"][1]["id"]
    assert client_for(enterprise_user).post(f"{url}opinions/{opinion}/form/").status_code == 403
    again = county.post(f"{url}opinions/{opinion}/form/")
    assert again.status_code == 202 and again.json()["revision"] == 2


def test_r_dyn_1_violations_are_not_reported_by_hand_through_the_api(graded, county_user):
    response = client_for(county_user).post(
        DOWNGRADES,
        {
            "enterprise": graded.pk,
            "reason": "exceeding",
            "detail": "超标",
            "occurred_on": timezone.localdate().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    other = factories.enterprise(county="410122")
    response = client_for(county_user).post(
        DOWNGRADES,
        {
            "enterprise": other.pk,
            "reason": "public_report",
            "detail": "举报",
            "occurred_on": timezone.localdate().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 404
    assert not DowngradeCase.objects.exists()


def test_r_dyn_1_the_pages_open_review_and_decide(
    graded, county_user, second_county_user, city_user, other_county_user
):
    expert = builders.expert("N31", pool="410100")
    county = Client()
    county.force_login(county_user)
    response = county.post(
        "/review/downgrades/",
        {
            "enterprise_uscc": graded.uscc,
            "reason": "public_report",
            "occurred_on": timezone.localdate().isoformat(),
            "reference": "12369-2026-0815",
            "detail": "群众举报夜间偷排，经查属实",
        },
    )
    assert response.status_code == 302, response.content.decode()
    case = DowngradeCase.objects.get()
    page_url = f"/review/downgrades/{case.pk}/"
    assert response["Location"] == page_url
    outsider = Client()
    outsider.force_login(other_county_user)
    assert outsider.get(page_url).status_code == 404
    assert graded.name not in outsider.get("/review/downgrades/").content.decode()

    body = {
        "action": "decide",
        "d-outcome": "downgrade",
        "d-grade": builders.grade("C").pk,
        "d-summary": "经查，企业夜间停运治理设施。",
        "d-conclusion": "降为C级。",
        "d-signers": [county_user.pk],
    }
    response = county.post(page_url, body)
    assert "四眼原则" in response.content.decode()
    response = county.post(
        page_url, {**body, "d-signers": [county_user.pk, second_county_user.pk]}, follow=True
    )
    assert "意见已签署" in response.content.decode()
    case.refresh_from_db()
    assert (case.stage, case.grade.code) == ("decided", "C")
    assert CaseOpinionForm.objects.filter(opinion__downgrade_case=case).count() == 1
    assert "可于" in response.content.decode()
    # The inspection path on the page: the city forms the panel.
    grade_record_add(
        actor=None,
        enterprise=graded,
        industry=builders.industry("N31"),
        grade=builders.grade("B"),
        effective_from=timezone.localdate(),
        source=GradeRecord.Source.APPEAL,
    )
    county.post(
        "/review/downgrades/",
        {
            "enterprise_uscc": graded.uscc,
            "reason": "inspection",
            "occurred_on": timezone.localdate().isoformat(),
            "detail": "检查发现问题",
        },
    )
    second = DowngradeCase.objects.exclude(pk=case.pk).get()
    city = Client()
    city.force_login(city_user)
    response = city.post(
        f"/review/downgrades/{second.pk}/",
        {"action": "panel", "p-experts": [expert.pk]},
        follow=True,
    )
    assert "专家组已组建" in response.content.decode()
    assert (
        county.post(
            f"/review/downgrades/{second.pk}/", {"action": "panel", "p-experts": [expert.pk]}
        ).status_code
        == 403
    )


def test_r_dyn_1_an_alert_duty_links_to_the_open_form_filled_in(graded, county_user):
    county = Client()
    county.force_login(county_user)
    html = county.get(
        "/review/downgrades/",
        {
            "enterprise_uscc": graded.uscc,
            "reason": "alert_measure",
            "occurred_on": "2026-11-20",
            "reference": "预警 #7",
            "detail": "<b>红色预警期间未停产</b>",
        },
    ).content.decode()
    assert f'value="{graded.uscc}"' in html
    assert '<option value="alert_measure" selected>' in html
    assert 'value="2026-11-20"' in html and "预警 #7" in html
    assert "&lt;b&gt;红色预警期间未停产&lt;/b&gt;" in html
    # A reason the county may not report by hand is not preselected.
    html = county.get("/review/downgrades/", {"reason": "exceeding_limits"}).content.decode()
    assert "selected>" not in html.split('name="reason"')[1].split("</select>")[0]
