"""The review pages' own actions: each one's input is a form, each write one service call, and
a refusal or a rule comes back as a message beside the page (the API's answers are in the
``test_api_*`` modules)."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from grading.models import GradeRecord
from grading.services.grades import grade_record_add
from review.models import (
    ExpertBlacklisting,
    ExpertConflict,
    IndustryDowngradeProposal,
    Rectification,
    SpotCheckItem,
    SpotCheckSample,
)
from review.services import panels
from review.tests import builders
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown(response) -> str:
    """The messages of the page a redirect leads to (or of the page itself)."""
    return " ".join(str(m) for m in response.context["messages"])


# --- Cases -----------------------------------------------------------------------------------


def test_queue_offers_submissions_to_the_county_only(declaration, county_user, city_user):
    county = signed_in(county_user).get("/review/")
    assert [d["declaration"] for d in county.context["waiting"]] == [declaration]
    assert 'id="waiting"' in county.text
    city = signed_in(city_user).get("/review/")
    assert city.context["waiting"] == [] and 'id="waiting"' not in city.text


def test_opening_someone_elses_submission_is_refused_with_the_reason(
    declaration, city_user, county_user
):
    response = signed_in(city_user).post(f"/review/open/{declaration.pk}/", follow=True)
    assert "只有企业所属县级生态环境部门可以受理初审" in shown(response)
    response = signed_in(county_user).post(f"/review/open/{declaration.pk}/", follow=True)
    assert "已受理，开始初审" in shown(response)


def test_the_case_page_offers_each_viewer_its_own_actions(
    verified_case, enterprise_user, city_user, county_user, n31_expert
):
    url = f"/review/cases/{verified_case.pk}/"
    own = signed_in(enterprise_user).get(url).context
    assert (own["can_report"], own["can_verify"], own["can_rerender_forms"]) == (
        True,
        False,
        False,
    )
    assert own["decision_form"] is None and own["onsite_form"] is None
    city = signed_in(city_user).get(url).context
    assert (city["can_report"], city["can_verify"], city["can_rerender_forms"]) == (
        False,
        True,
        True,
    )
    assert city["decision_form"] and city["onsite_form"] and city["panel_form"]
    expert = signed_in(n31_expert).get(url).context
    assert expert["onsite_form"] and expert["can_verify"] and not expert["can_rerender_forms"]
    assert expert["decision_form"] is None and expert["panel_form"] is None
    county = signed_in(county_user).get(url).context
    assert county["can_rerender_forms"] and county["decision_form"] is None


def test_panel_candidates_say_who_knows_the_industry(at_city, city_user, n31_expert):
    builders.expert("N15")
    form = signed_in(city_user).get(f"/review/cases/{at_city.pk}/").context["panel_form"]
    labels = [label for _value, label in form.fields["experts"].choices]
    assert any("本行业" in label for label in labels)
    assert sum("本行业" in label for label in labels) == 1


def test_rectification_is_reported_by_the_enterprise_and_verified_by_the_city(
    verified_case, enterprise_user, city_user
):
    item = Rectification.objects.get(verification__case=verified_case)
    url = f"/review/rectifications/{item.pk}/"
    response = signed_in(city_user).post(url, {"note": "已核实"}, follow=True)
    assert "企业尚未填报整改情况" in shown(response)
    response = signed_in(enterprise_user).post(url, {"note": " "}, follow=True)
    assert "请说明整改情况" in shown(response)
    signed_in(enterprise_user).post(url, {"note": "已完善台账"})
    response = signed_in(city_user).post(url, {"note": "台账已核实"}, follow=True)
    assert "已保存" in shown(response)
    item.refresh_from_db()
    assert (item.status, item.followed_up_by) == (Rectification.Status.VERIFIED, city_user)


def test_r_rev_3_the_on_site_form_is_asked_again_from_the_case_page(verified_case, city_user):
    onsite = verified_case.opinions.get(kind="on_site")
    response = signed_in(city_user).post(f"/review/opinions/{onsite.pk}/form/", follow=True)
    assert "已重新生成现场核查意见表（新版本，原文件保留）" in shown(response)
    assert onsite.forms.count() == 2
    page = signed_in(city_user).get(f"/review/cases/{verified_case.pk}/").content.decode()
    assert "重新生成现场核查意见表" in page


def test_photos_and_forms_are_404_outside_reach(verified_case, other_county_user):
    opinion = verified_case.opinions.get(kind="first_review")
    form = opinion.forms.get()
    other = signed_in(other_county_user)
    assert other.get(f"/review/forms/{form.pk}/download/").status_code == 404
    assert other.post(f"/review/opinions/{opinion.pk}/form/").status_code == 404


# --- Experts ---------------------------------------------------------------------------------


def test_experts_page_records_conflicts_and_blacklists_and_lifts(
    enterprise, city_user, province_user, n31_expert
):
    city = signed_in(city_user)
    response = city.post(
        "/review/experts/",
        {
            "action": "conflict",
            "expert": n31_expert.pk,
            "enterprise_uscc": enterprise.uscc.lower(),
            "kind": "other",
            "note": "",
        },
        follow=True,
    )
    assert "回避关系已登记" in shown(response)
    assert ExpertConflict.objects.filter(expert=n31_expert, enterprise=enterprise).exists()
    response = city.post(
        "/review/experts/",
        {
            "action": "conflict",
            "expert": n31_expert.pk,
            "enterprise_uscc": "91410100MA00000000",
            "kind": "other",
        },
    )
    assert "未找到该统一社会信用代码的企业" in shown(response)

    response = city.post(
        "/review/experts/",
        {"action": "blacklist", "expert": n31_expert.pk, "reason": "fees", "detail": "收取费用"},
        follow=True,
    )
    assert "已列入黑名单" in shown(response)
    entry = ExpertBlacklisting.objects.get(expert=n31_expert)
    assert not response.context["can_lift"]
    response = city.post("/review/experts/", {"action": "lift", "id": entry.pk, "reason": "x"})
    assert "只有省级生态环境部门可以解除专家黑名单" in shown(response)

    province = signed_in(province_user)
    response = province.post("/review/experts/", {"action": "lift", "id": entry.pk})
    assert "请说明解除依据" in shown(response)
    response = province.post(
        "/review/experts/", {"action": "lift", "id": entry.pk, "reason": "经复核不实"}, follow=True
    )
    assert "已解除黑名单" in shown(response)
    assert not panels.is_blacklisted(n31_expert)


def test_an_expert_records_its_own_conflicts_only(enterprise, n31_expert):
    other = builders.expert("N31")
    page = signed_in(n31_expert)
    assert list(
        page.get("/review/experts/").context["conflict_form"].fields["expert"].queryset
    ) == [n31_expert]
    page.post(
        "/review/experts/",
        {
            "action": "conflict",
            "expert": other.pk,
            "enterprise_uscc": enterprise.uscc,
            "kind": "other",
        },
    )
    assert not ExpertConflict.objects.exists()


# --- Spot checks, direct grading, re-application ---------------------------------------------


@pytest.fixture
def graded_b(province_user):
    ent = factories.enterprise(county="410221", industry="N15")
    grade_record_add(
        actor=province_user,
        enterprise=ent,
        industry=builders.industry("N15"),
        grade=builders.grade("B"),
        effective_from=timezone.localdate() - datetime.timedelta(days=400),
        source=GradeRecord.Source.IMPORT,
    )
    return ent


def test_r_rev_9_spot_check_pages_plan_draw_record_and_decide(graded_b, province_user):
    province = signed_in(province_user)
    body = {"year": 2026, "percentage": "100", "seed": 3}
    # The plan: strata and size shown, nothing drawn until confirmed.
    response = province.post("/review/spot-checks/", {**body, "action": "plan"})
    assert response.status_code == 200
    plan = response.context["plan"]
    assert (plan.population, plan.requested, plan.size) == (1, 1, 1)
    text = response.content.decode()
    assert "按比例应抽 1 家" in text and "确认抽取1家" in text and "开封市" in text
    assert not SpotCheckSample.objects.exists()
    response = province.post("/review/spot-checks/", {**body, "action": "draw"})
    assert response.status_code == 302
    sample_url = response["Location"]
    item = SpotCheckItem.objects.get()
    fields = {"item": item.pk, f"i{item.pk}-passed": "0", f"i{item.pk}-findings": "设施未运行"}
    # Tried: "不符合，降级" without a target grade downgraded B→C by itself.
    response = province.post(sample_url, fields, follow=True)
    assert "不符合时须选择降级后的等级" in shown(response)
    item.refresh_from_db()
    assert item.result == "pending"
    response = province.post(
        sample_url, {**fields, f"i{item.pk}-downgrade_to": builders.grade("D").pk}, follow=True
    )
    assert "抽查结果已记录" in shown(response)
    item.refresh_from_db()
    assert (item.result, item.downgrade_to.code) == ("failed", "D")
    assert province.post(sample_url, {"item": "abc"}).status_code == 404
    assert signed_in(builders.city_staff("410200")).get(sample_url).status_code == 404

    # The industry's sample is complete (1 of 1): judged, below 60%.
    proposal = IndustryDowngradeProposal.objects.get()
    assert "尚未达到判定条件" not in province.get(sample_url).content.decode()
    response = province.post(
        f"/review/proposals/{proposal.pk}/", {"confirm": "0", "reason": "样本过少"}, follow=True
    )
    assert "已处理行业降级建议" in shown(response)
    proposal.refresh_from_db()
    assert proposal.status == IndustryDowngradeProposal.Status.DISMISSED


def test_r_rev_9_the_province_sets_the_thresholds_on_the_page(province_user, city_user):
    body = {"action": "policy", "min_per_industry": "4", "min_decided": "6"}
    assert signed_in(city_user).post("/review/spot-checks/", body).status_code == 403
    assert 'value="policy"' not in signed_in(city_user).get("/review/spot-checks/").text
    response = signed_in(province_user).post("/review/spot-checks/", body, follow=True)
    assert "抽查规则已保存" in shown(response)
    assert "补足至4家" in response.content.decode()


def test_spot_check_draw_errors_land_on_the_form(province_user):
    response = signed_in(province_user).post(
        "/review/spot-checks/", {"year": 2026, "percentage": "10", "action": "plan"}
    )
    assert "没有符合条件的已评级企业" in response.text


def test_direct_grading_page_is_the_countys(county_user, city_user):
    small = factories.enterprise(county="410184", industry="N31", is_small_micro=True)
    assert signed_in(city_user).get("/review/direct/").status_code == 403
    county = signed_in(county_user)
    body = {"enterprise_uscc": small.uscc, "industry": builders.industry("N31").pk, "reason": " "}
    response = county.post("/review/direct/", {**body, "grade": builders.grade("C").pk})
    assert response.status_code == 200 and "评定依据" in response.text
    response = county.post(
        "/review/direct/", {**body, "reason": "现场核实", "grade": builders.grade("D").pk}
    )
    assert response.status_code == 302
    assert GradeRecord.objects.get(enterprise=small).grade.code == "D"


def test_reapplication_list_is_for_the_bureaus_and_reads_any_year(graded_b, province_user):
    assert signed_in(factories.enterprise_user(graded_b)).get("/review/reapply/").status_code == 403
    page = signed_in(province_user)
    assert page.get("/review/reapply/?year=abc").context["year"] == timezone.localdate().year
    assert [r.enterprise for r in page.get("/review/reapply/").context["page"]] == [graded_b]
