"""Expert panels: the industry expert (R-REV-6), conflicts of interest (R-REV-7), the
blacklist (R-REV-8), suggestions, and who may form or re-form a panel."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from review.models import ExpertBlacklisting, ExpertConflict, Panel, ReviewCase
from review.selectors.experts import expert_suggestions
from review.services import panels
from review.tests import builders
from review.tests.builders import D

pytestmark = pytest.mark.django_db

Conflict = ExpertConflict.Kind


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


@pytest.fixture
def second_county_user(db):
    return builders.county_staff("410184")


@pytest.fixture
def at_city(enterprise_user, county_user, second_county_user):
    case = builders.open_case(county_user, builders.submitted(enterprise_user, grade="B"))
    builders.county_recommend(case, [county_user, second_county_user])
    return builders.refresh(case)


@pytest.fixture
def n31_expert(db):
    return builders.expert("N31", pool="410100")


@pytest.fixture
def cement_expert(db):
    return builders.expert("N15")


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def assign(case, city_user, experts):
    return panels.panel_assign(actor=city_user, case=case, experts=experts)


# --- R-REV-6: an expert of the industry ------------------------------------------------------


def test_r_rev_6_panel_without_an_industry_expert_is_refused(at_city, city_user, cement_expert):
    with pytest.raises(ValidationError) as exc:
        assign(at_city, city_user, [cement_expert])
    assert "专家组中至少应有1名包装印刷行业专家" in messages(exc)
    assert not Panel.objects.filter(case=at_city).exists()


def test_r_rev_6_panel_with_an_industry_expert_is_formed(
    at_city, city_user, n31_expert, cement_expert
):
    panel = assign(at_city, city_user, [cement_expert, n31_expert])
    assert set(panel.members.all()) == {cement_expert, n31_expert}
    assert panel.memberships.get(is_leader=True).expert == cement_expert
    assert panel.formed_by == city_user
    assert panels.panel_refusals(case=at_city) == []
    assert n31_expert.notifications.filter(code="review.panel.assigned").exists()


# --- R-REV-7: conflicts of interest ----------------------------------------------------------


def test_r_rev_7_an_expert_of_a_third_party_agency_is_refused(at_city, city_user, n31_expert):
    agency = builders.expert(
        "N31", employer="某环保科技服务有限公司", employer_is_service_agency=True
    )
    with pytest.raises(ValidationError) as exc:
        assign(at_city, city_user, [n31_expert, agency])
    assert "第三方服务机构" in messages(exc)
    assert "R-REV" not in messages(exc)
    assert agency.display_name in messages(exc)


@pytest.mark.parametrize(
    "kind,label",
    [
        (Conflict.AGENCY_SERVED, "所在第三方机构曾为该企业提供服务"),
        (Conflict.SELF_ACCEPTANCE, "参与过该企业自主验收"),
        (Conflict.CLEANER_PRODUCTION, "参与过该企业清洁生产审核验收"),
    ],
)
def test_r_rev_7_an_expert_with_a_recorded_conflict_is_refused(
    at_city, city_user, enterprise, n31_expert, kind, label
):
    conflict = panels.conflict_record(
        actor=city_user, expert=n31_expert, enterprise=enterprise, kind=kind, note="2024年"
    )
    assert conflict.declared_by_expert is False and conflict.recorded_by == city_user
    with pytest.raises(ValidationError) as exc:
        assign(at_city, city_user, [n31_expert])
    assert f"与该企业存在回避关系：{label}" in messages(exc)


def test_r_rev_7_an_expert_declares_their_own_conflict(at_city, city_user, enterprise, n31_expert):
    conflict = panels.conflict_record(
        actor=n31_expert, expert=n31_expert, enterprise=enterprise, kind=Conflict.SELF_ACCEPTANCE
    )
    assert conflict.declared_by_expert is True
    with pytest.raises(ValidationError) as exc:
        panels.conflict_record(
            actor=n31_expert,
            expert=n31_expert,
            enterprise=enterprise,
            kind=Conflict.SELF_ACCEPTANCE,
        )
    assert "已登记" in messages(exc)
    with pytest.raises(ValidationError):
        assign(at_city, city_user, [n31_expert])


def test_r_rev_7_only_the_expert_or_city_and_province_staff_record_conflicts(
    enterprise, county_user, n31_expert, enterprise_user
):
    other_expert = builders.expert("N31")
    for actor in (county_user, enterprise_user, other_expert):
        with pytest.raises(PermissionDenied):
            panels.conflict_record(
                actor=actor, expert=n31_expert, enterprise=enterprise, kind=Conflict.OTHER
            )
    assert not ExpertConflict.objects.exists()


def test_r_rev_7_a_conflicted_expert_cannot_co_sign_the_first_review(
    enterprise_user, enterprise, county_user, city_user, n31_expert
):
    case = builders.open_case(county_user, builders.submitted(enterprise_user, grade="B"))
    panels.conflict_record(
        actor=city_user, expert=n31_expert, enterprise=enterprise, kind=Conflict.CLEANER_PRODUCTION
    )
    with pytest.raises(ValidationError) as exc:
        builders.county_recommend(case, [county_user, n31_expert])
    assert "回避关系" in messages(exc)


# --- R-REV-8: the blacklist ------------------------------------------------------------------


def test_r_rev_8_blacklisted_expert_is_refused_everywhere_until_lifted(
    enterprise_user, county_user, second_county_user, city_user, province_user, n31_expert
):
    case = builders.open_case(county_user, builders.submitted(enterprise_user, grade="B"))
    entry = panels.expert_blacklist(
        actor=city_user,
        expert=n31_expert,
        reason=ExpertBlacklisting.Reason.GIFTS,
        detail="收受企业礼品",
        document_no="郑环〔2026〕1号",
    )
    assert panels.is_blacklisted(n31_expert)

    with pytest.raises(ValidationError) as exc:
        builders.county_recommend(case, [county_user, n31_expert])
    assert "黑名单" in messages(exc) and "R-REV" not in messages(exc)

    builders.county_recommend(case, [county_user, second_county_user])
    case = builders.refresh(case)
    with pytest.raises(ValidationError) as exc:
        assign(case, city_user, [n31_expert])
    assert "已被列入黑名单，不得参与绩效分级工作" in messages(exc)
    assert n31_expert not in expert_suggestions(case=case)

    for actor in (city_user, county_user):
        with pytest.raises(PermissionDenied):
            panels.expert_blacklist_lift(actor=actor, entry=entry, reason="复核后撤销")
    with pytest.raises(ValidationError):
        panels.expert_blacklist_lift(actor=province_user, entry=entry, reason=" ")
    panels.expert_blacklist_lift(actor=province_user, entry=entry, reason="经复核举报不实")
    entry.refresh_from_db()
    assert entry.lifted_at is not None and entry.lifted_reason == "经复核举报不实"
    assert not panels.is_blacklisted(n31_expert)
    with pytest.raises(ValidationError):
        panels.expert_blacklist_lift(actor=province_user, entry=entry, reason="再次解除")

    assert n31_expert in expert_suggestions(case=case)
    assign(case, city_user, [n31_expert])
    assert ExpertBlacklisting.objects.filter(expert=n31_expert).count() == 1  # never deleted


def test_r_rev_8_blacklisting_after_forming_blocks_the_forward(
    at_city, city_user, province_user, n31_expert
):
    builders.city_ready_to_forward(at_city, city_user, n31_expert)
    panels.expert_blacklist(
        actor=province_user,
        expert=n31_expert,
        reason=ExpertBlacklisting.Reason.FALSE_OPINION,
        detail="出具虚假意见",
    )
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_city, city_user, D.FORWARD, grade_code="B")
    assert "黑名单" in messages(exc)
    assert builders.refresh(at_city).stage == ReviewCase.Stage.CITY


def test_r_rev_8_only_city_or_province_staff_blacklist(county_user, n31_expert):
    with pytest.raises(PermissionDenied):
        panels.expert_blacklist(
            actor=county_user,
            expert=n31_expert,
            reason=ExpertBlacklisting.Reason.FEES,
            detail="收取费用",
        )
    assert not panels.is_blacklisted(n31_expert)


# --- Suggestions -----------------------------------------------------------------------------


def test_r_rev_6_r_rev_7_r_rev_8_suggestions_list_eligible_experts_industry_first(
    at_city, city_user, enterprise
):
    cement = builders.expert("N15")
    printing = builders.expert("N31")
    agency = builders.expert("N31", employer_is_service_agency=True)
    banned = builders.expert("N31", pool="410100")
    panels.expert_blacklist(
        actor=city_user, expert=banned, reason=ExpertBlacklisting.Reason.CRITICISM, detail="通报"
    )
    conflicted = builders.expert("N31")
    panels.conflict_record(
        actor=city_user, expert=conflicted, enterprise=enterprise, kind=Conflict.AGENCY_SERVED
    )
    inactive = builders.expert("N31")
    inactive.is_active = False
    inactive.save()

    suggested = list(expert_suggestions(case=at_city))
    assert printing in suggested and cement in suggested
    assert suggested.index(printing) < suggested.index(cement)
    for excluded in (agency, banned, conflicted, inactive):
        assert excluded not in suggested
    knows = [u.knows_industry for u in suggested]
    assert knows == sorted(knows, reverse=True)


# --- Who forms the panel, and when -----------------------------------------------------------


def test_r_rev_3_only_the_cases_city_may_assign_the_panel(
    at_city, county_user, province_user, n31_expert
):
    for actor in (builders.city_staff("410200"), county_user, province_user, n31_expert):
        with pytest.raises(PermissionDenied):
            assign(at_city, actor, [n31_expert])
    assert not Panel.objects.filter(case=at_city).exists()


def test_r_rev_3_panel_is_formed_only_at_the_city_stage(
    enterprise_user, county_user, city_user, n31_expert
):
    case = builders.open_case(county_user, builders.submitted(enterprise_user, grade="B"))
    with pytest.raises(ValidationError) as exc:
        assign(case, city_user, [n31_expert])
    assert "市级审核阶段" in messages(exc)


def test_r_rev_3_panel_may_be_re_formed_until_the_onsite_record(at_city, city_user, n31_expert):
    first = builders.expert("N31")
    assign(at_city, city_user, [first])
    panel = assign(at_city, city_user, [n31_expert])
    assert list(panel.members.all()) == [n31_expert]

    builders.onsite_record(at_city, n31_expert)
    with pytest.raises(ValidationError) as exc:
        assign(at_city, city_user, [first, n31_expert])
    assert "已完成现场核查，不能再调整成员" in messages(exc)
    assert list(Panel.objects.get(case=at_city).members.all()) == [n31_expert]


def test_r_rev_3_panel_leader_must_be_a_member(at_city, city_user, n31_expert):
    with pytest.raises(ValidationError) as exc:
        panels.panel_assign(
            actor=city_user, case=at_city, experts=[n31_expert], leader=builders.expert("N31")
        )
    assert "组长须为专家组成员" in messages(exc)
    with pytest.raises(ValidationError):
        panels.panel_assign(actor=city_user, case=at_city, experts=[])
