"""Typed review decisions: the chain county → city → province and what each stage decides
(R-REV-1..3, R-GRADE-2), the province's downgrade and send-back, and concurrency."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from declarations.models import Declaration
from declarations.services import lifecycle
from grading.models import EnterpriseIndustry, Grade, GradeRecord
from review.models import ApprovalForm, Opinion, ReviewCase
from review.services import decisions, onsite
from review.tests import builders
from review.tests.builders import D, codes_for, snapshot
from tests import factories

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
Stage = ReviewCase.Stage


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


# --- R-REV-1: the chain ----------------------------------------------------------------------


def test_r_rev_1_b_goes_county_city_province_decided(
    case, enterprise, county_user, second_county_user, city_user, province_user, n31_expert
):
    declaration = case.declaration
    assert case.stage == Stage.COUNTY
    assert declaration.status == Declaration.Status.UNDER_REVIEW
    assert case.version.number == 1

    first = builders.county_recommend(case, [county_user, second_county_user])
    case = builders.refresh(case)
    assert (case.stage, case.proposed_grade.code) == (Stage.CITY, "B")
    assert first.kind == Opinion.Kind.FIRST_REVIEW
    assert first.indicators.count() == declaration.indicator_rows.filter(applicable=True).count()

    builders.city_ready_to_forward(case, city_user, n31_expert)
    builders.sign(case, city_user, D.FORWARD, grade_code="B")
    case = builders.refresh(case)
    assert (case.stage, case.city_grade.code) == (Stage.PROVINCE, "B")
    assert case.is_open and case.final_grade is None

    builders.sign(case, province_user, D.CONFIRM, grade_code="B")
    case = builders.refresh(case)
    assert case.stage == Stage.DECIDED
    assert case.final_grade.code == "B"
    assert case.decided_on is not None and case.closed_at is not None
    assert not case.is_open
    assert Declaration.objects.get(pk=declaration.pk).status == Declaration.Status.DECIDED
    assert list(case.opinions.values_list("kind", flat=True)) == [
        Opinion.Kind.FIRST_REVIEW,
        Opinion.Kind.ON_SITE,
        Opinion.Kind.CITY_REVIEW,
        Opinion.Kind.PROVINCE_CHECK,
    ]
    record = GradeRecord.objects.get(enterprise=enterprise, effective_to__isnull=True)
    assert (record.grade.code, record.source) == ("B", GradeRecord.Source.REVIEW)
    assert record.source_ref == declaration.number
    codes = codes_for(declaration)
    for code in (
        "review.case.opened",
        "review.county.recommended",
        "review.onsite.recorded",
        "review.city.forwarded",
        "review.province.confirmed",
        "declaration.decided",
    ):
        assert code in codes
    # R-REV-4, R-REV-3: every signed first-review, city and province opinion asks for its
    # approval form, and the on-site record for its verification form (现场核查意见表).
    assert ApprovalForm.objects.filter(opinion__case=case).count() == 4
    assert ApprovalForm.objects.filter(
        opinion__case=case, opinion__kind=Opinion.Kind.ON_SITE
    ).exists()


def test_r_rev_1_each_stage_takes_only_its_own_decisions(case, county_user, province_user):
    with pytest.raises(ValidationError) as exc:
        builders.sign(case, county_user, D.FORWARD, grade_code="B")
    assert "案卷当前处于“县级初审”阶段" in messages(exc)
    with pytest.raises(PermissionDenied):
        builders.sign(case, province_user, D.RETURN)
    assert not case.opinions.exists()


# --- R-REV-2: the county's deadline ----------------------------------------------------------


def test_r_rev_2_county_opens_the_first_review_and_withdrawal_ends(enterprise_user, county_user):
    declaration = builders.submitted(enterprise_user, grade="B")
    case = decisions.first_review_open(actor=county_user, declaration=declaration)
    assert case.stage == Stage.COUNTY
    assert case.declaration.status == Declaration.Status.UNDER_REVIEW
    assert enterprise_user.notifications.filter(code="review.case.opened").exists()
    with pytest.raises(ValidationError):
        lifecycle.declaration_withdraw(actor=enterprise_user, declaration=declaration)
    with pytest.raises(ValidationError):
        decisions.first_review_open(actor=county_user, declaration=declaration)
    assert ReviewCase.objects.filter(declaration=declaration).count() == 1


def test_r_rev_2_case_is_due_by_the_20th_of_its_submission_month(
    time_machine, enterprise_user, county_user, second_county_user
):
    time_machine.move_to(datetime.datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI), tick=False)
    early = builders.submitted(enterprise_user, grade="B")
    time_machine.move_to(datetime.datetime(2026, 3, 25, 9, 0, tzinfo=SHANGHAI), tick=False)
    case = builders.open_case(county_user, early)
    assert case.county_due == datetime.date(2026, 3, 20)
    assert case.city_due is None

    late_user = factories.enterprise_user(factories.enterprise(county="410184", industry="N31"))
    late = builders.open_case(county_user, builders.submitted(late_user, grade="C"))
    assert late.county_due == datetime.date(2026, 4, 20)

    time_machine.move_to(datetime.datetime(2026, 4, 2, 9, 0, tzinfo=SHANGHAI), tick=False)
    builders.county_recommend(case, [county_user, second_county_user])
    # R-REV-3: the city reviews by the end of the month the case reached it.
    assert builders.refresh(case).city_due == datetime.date(2026, 4, 30)


# --- R-REV-3: the city decides C, forwards A/B -----------------------------------------------


def test_r_rev_3_city_decides_c_only_after_an_industry_panel_and_a_signed_onsite_opinion(
    enterprise_user, enterprise, county_user, city_user, n31_expert
):
    """002 第六条(3): the city verifies C on site with industry experts too; a city decision of
    any grade needs the panel (an expert of the industry) and its signed on-site opinion."""
    case = builders.open_case(county_user, builders.submitted(enterprise_user, grade="C"))
    builders.county_recommend(case, [county_user])  # C: one signer suffices
    case = builders.refresh(case)
    with pytest.raises(ValidationError) as exc:
        builders.sign(case, city_user, D.FORWARD, grade_code="C")
    assert "C级及以下由市级直接认定" in messages(exc)

    # No panel: refused (this used to decide C at once).
    with pytest.raises(ValidationError) as exc:
        builders.sign(case, city_user, D.DECIDE, grade_code="C")
    assert "须组建专家组并完成现场核查" in messages(exc)
    # A panel without an expert of the enterprise's industry is not formed.
    with pytest.raises(ValidationError) as exc:
        builders.panel_form(case, city_user, [builders.expert("N15")])
    assert "至少应有1名包装印刷行业专家" in messages(exc)
    # The panel is formed, but has not recorded and signed its on-site opinion yet.
    builders.panel_form(case, city_user, [n31_expert])
    with pytest.raises(ValidationError) as exc:
        builders.sign(case, city_user, D.DECIDE, grade_code="C")
    assert "须记录专家组现场核查意见并由专家组成员签署" in messages(exc)
    # City staff alone cannot sign the on-site opinion: a panel member must.
    with pytest.raises(ValidationError) as exc:
        builders.onsite_record(case, city_user)
    assert "现场核查意见须由专家组成员签署" in messages(exc)
    case = builders.refresh(case)
    assert case.stage == Stage.CITY and not case.opinions.filter(kind=Opinion.Kind.CITY_REVIEW)
    assert not GradeRecord.objects.filter(enterprise=enterprise).exclude(
        source=GradeRecord.Source.INITIAL
    )

    verification = builders.onsite_record(case, n31_expert, signers=[n31_expert, city_user])
    assert list(verification.opinion.signers.order_by("pk")) == sorted(
        [n31_expert, city_user], key=lambda u: u.pk
    )
    builders.sign(case, city_user, D.DECIDE, grade_code="C")
    case = builders.refresh(case)
    assert (case.stage, case.final_grade.code, case.city_grade.code) == (Stage.DECIDED, "C", "C")
    assert case.declaration.status == Declaration.Status.DECIDED
    record = GradeRecord.objects.get(enterprise=enterprise, effective_to__isnull=True)
    assert (record.grade.code, record.source) == ("C", GradeRecord.Source.REVIEW)
    enterprise.refresh_from_db()
    assert enterprise.overall_grade.code == "C"
    assert "review.city.decided" in codes_for(case.declaration)


def test_r_rev_3_city_decision_waits_for_verified_rectifications(verified_case, city_user):
    """The rectifications the on-site opinion requires are verified before any city decision
    (R-DECL-6), a C as much as a forwarded B."""
    with pytest.raises(ValidationError) as exc:
        builders.sign(verified_case, city_user, D.FORWARD, grade_code="B")
    assert "尚有1项未核实" in messages(exc)
    assert builders.refresh(verified_case).stage == Stage.CITY


def test_r_rev_3_city_cannot_decide_b_it_must_forward(at_city, city_user):
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_city, city_user, D.DECIDE, grade_code="B")
    assert "须报省级复核" in messages(exc)
    at_city = builders.refresh(at_city)
    assert at_city.stage == Stage.CITY
    assert not GradeRecord.objects.filter(enterprise=at_city.declaration.enterprise).exists()


def test_r_rev_3_forwarding_b_needs_an_industry_panel_and_verified_onsite_record(
    at_city, city_user, enterprise_user, n31_expert
):
    def forward():
        return builders.sign(at_city, city_user, D.FORWARD, grade_code="B")

    with pytest.raises(ValidationError) as exc:
        forward()
    assert "须组建专家组" in messages(exc)

    builders.panel_form(at_city, city_user, [n31_expert])
    with pytest.raises(ValidationError) as exc:
        forward()
    assert "须记录专家组现场核查意见" in messages(exc)

    verification = builders.onsite_record(
        at_city,
        n31_expert,
        rectifications=[("VOCs收集效率不足，须加装集气罩", timezone.localdate())],
    )
    with pytest.raises(ValidationError) as exc:
        forward()
    assert "尚有1项未核实" in messages(exc)

    # R-REV-6: the panel must still hold an expert of the industry when it goes up.
    n31_expert.expert_profile.industries.clear()
    with pytest.raises(ValidationError) as exc:
        forward()
    assert "行业专家" in messages(exc)
    n31_expert.expert_profile.industries.add(builders.industry("N31"))

    item = verification.rectifications.get()
    onsite.rectification_report(actor=enterprise_user, rectification=item, note="已加装集气罩")
    with pytest.raises(ValidationError):
        forward()
    onsite.rectification_verify(actor=city_user, rectification=item, note="复核已整改")
    forward()
    assert builders.refresh(at_city).stage == Stage.PROVINCE


# --- R-GRADE-2: the decided grade drives autonomous reduction --------------------------------


def test_r_grade_2_province_confirms_a_and_a_chooses_its_own_reduction(
    enterprise_user, enterprise, county_user, second_county_user, city_user, province_user
):
    case = builders.open_case(county_user, builders.submitted(enterprise_user, grade="A"))
    case = builders.to_province(
        case,
        county_signers=[county_user, second_county_user],
        city_user=city_user,
        panel_expert=builders.expert("N31"),
    )
    builders.sign(case, province_user, D.CONFIRM, grade_code="A")
    row = EnterpriseIndustry.objects.get(enterprise=enterprise, industry__code="N31")
    enterprise.refresh_from_db()
    assert row.current_grade.code == "A"
    assert enterprise.overall_grade.code == "A"
    assert Grade.objects.get(code="A").autonomous_reduction is True
    assert Grade.objects.get(code="B").autonomous_reduction is False


# --- Province: downgrade and send back -------------------------------------------------------


def test_r_rev_1_province_downgrade_records_the_lower_grade(at_province, enterprise, province_user):
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_province, province_user, D.CONFIRM, grade_code="C")
    assert "确认等级应与市级审核等级一致" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_province, province_user, D.DOWNGRADE, grade_code="B")
    assert "须低于市级审核等级" in messages(exc)

    builders.sign(
        at_province, province_user, D.DOWNGRADE, grade_code="C", conclusion="运输方式不达B级"
    )
    case = builders.refresh(at_province)
    assert (case.stage, case.final_grade.code) == (Stage.DECIDED, "C")
    record = GradeRecord.objects.get(enterprise=enterprise, effective_to__isnull=True)
    assert (record.grade.code, record.reason) == ("C", "运输方式不达B级")
    enterprise.refresh_from_db()
    assert enterprise.overall_grade.code == "C"


def test_r_rev_1_province_send_back_returns_the_case_to_the_city(
    at_province, city_user, province_user
):
    first_city = at_province.opinions.get(kind=Opinion.Kind.CITY_REVIEW)
    before = snapshot(first_city)
    builders.sign(at_province, province_user, D.SEND_BACK, conclusion="请补充现场照片")
    case = builders.refresh(at_province)
    assert case.stage == Stage.CITY and case.city_due is not None
    assert case.declaration.status == Declaration.Status.UNDER_REVIEW

    builders.sign(case, city_user, D.FORWARD, grade_code="B")
    builders.sign(case, province_user, D.CONFIRM, grade_code="B")
    case = builders.refresh(case)
    assert case.stage == Stage.DECIDED
    assert case.opinions.filter(kind=Opinion.Kind.CITY_REVIEW).count() == 2
    assert snapshot(first_city) == before


# --- Concurrency -----------------------------------------------------------------------------


def test_two_stale_instances_only_one_decision_lands(case, county_user, second_county_user):
    first = ReviewCase.objects.get(pk=case.pk)
    second = ReviewCase.objects.get(pk=case.pk)
    builders.county_recommend(first, [county_user, second_county_user])
    with pytest.raises(ValidationError) as exc:
        builders.county_recommend(second, [county_user, second_county_user])
    assert messages(exc).startswith("案卷当前处于")
    assert case.opinions.count() == 1
    assert builders.refresh(case).stage == Stage.CITY
