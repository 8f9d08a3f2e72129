"""Typed review decisions: the chain and what each step allows and refuses (R-REV-1..5,
R-GRADE-2, R-GRADE-3, R-DECL-6), four-eyes, concurrency and jurisdiction."""

import datetime
import inspect
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from core.models import AuditEvent
from declarations.models import Declaration
from declarations.services import lifecycle
from grading.models import EnterpriseIndustry, Grade, GradeRecord, Region, User
from review.models import ApprovalForm, IndicatorOpinion, Opinion, ReviewCase
from review.selectors.cases import case_get, open_case_for
from review.services import annual, decisions, onsite, panels, sampling
from review.tests import builders
from review.tests.builders import D
from tests import factories

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
Stage = ReviewCase.Stage


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


@pytest.fixture
def second_county_user(db):
    return builders.county_staff("410184")


@pytest.fixture
def n31_expert(db):
    return builders.expert("N31")


@pytest.fixture
def case(enterprise_user, county_user):
    """A B declaration of 新郑市 opened for first review."""
    return builders.open_case(county_user, builders.submitted(enterprise_user, grade="B"))


@pytest.fixture
def at_city(case, county_user, second_county_user):
    builders.county_recommend(case, [county_user, second_county_user])
    return builders.refresh(case)


@pytest.fixture
def at_province(at_city, city_user, n31_expert):
    builders.city_ready_to_forward(at_city, city_user, n31_expert)
    builders.sign(at_city, city_user, D.FORWARD, grade_code="B")
    return builders.refresh(at_city)


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def codes_for(declaration) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Declaration),
            object_id=str(declaration.pk),
        )
        .order_by("at", "id")
        .values_list("code", flat=True)
    )


def snapshot(opinion: Opinion) -> dict:
    opinion = Opinion.objects.get(pk=opinion.pk)
    return {
        "kind": opinion.kind,
        "decision": opinion.decision,
        "grade": opinion.grade_id,
        "summary": opinion.summary,
        "conclusion": opinion.conclusion,
        "signed_by": opinion.signed_by_id,
        "signed_at": opinion.signed_at,
        "corrects": opinion.corrects_id,
        "signers": sorted(opinion.signers.values_list("pk", flat=True)),
        "indicators": list(
            opinion.indicators.order_by("indicator_row_id").values_list(
                "indicator_row_id", "verdict", "text"
            )
        ),
    }


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
    # R-REV-4: every signed first-review, city and province opinion asks for its form.
    assert ApprovalForm.objects.filter(opinion__case=case).count() == 3


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


def test_r_rev_3_city_decides_c_itself(enterprise_user, enterprise, county_user, city_user):
    case = builders.open_case(county_user, builders.submitted(enterprise_user, grade="C"))
    builders.county_recommend(case, [county_user])  # C: one signer suffices
    case = builders.refresh(case)
    with pytest.raises(ValidationError) as exc:
        builders.sign(case, city_user, D.FORWARD, grade_code="C")
    assert "C级及以下由市级直接认定" in messages(exc)

    builders.sign(case, city_user, D.DECIDE, grade_code="C")
    case = builders.refresh(case)
    assert (case.stage, case.final_grade.code, case.city_grade.code) == (Stage.DECIDED, "C", "C")
    assert case.declaration.status == Declaration.Status.DECIDED
    record = GradeRecord.objects.get(enterprise=enterprise, effective_to__isnull=True)
    assert (record.grade.code, record.source) == ("C", GradeRecord.Source.REVIEW)
    enterprise.refresh_from_db()
    assert enterprise.overall_grade.code == "C"
    assert "review.city.decided" in codes_for(case.declaration)


def test_r_rev_3_city_cannot_decide_b_it_must_forward(at_city, city_user):
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_city, city_user, D.DECIDE, grade_code="B")
    assert "须报省级复核（R-REV-3）" in messages(exc)
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
        rectifications=[("VOCs收集效率不足，须加装集气罩", datetime.date.today())],
    )
    with pytest.raises(ValidationError) as exc:
        forward()
    assert "尚有1项未核实" in messages(exc)

    # R-REV-6: the panel must still hold an expert of the industry when it goes up.
    n31_expert.expert_profile.industries.clear()
    with pytest.raises(ValidationError) as exc:
        forward()
    assert "R-REV-6" in messages(exc)
    n31_expert.expert_profile.industries.add(builders.industry("N31"))

    item = verification.rectifications.get()
    onsite.rectification_report(actor=enterprise_user, rectification=item, note="已加装集气罩")
    with pytest.raises(ValidationError):
        forward()
    onsite.rectification_verify(actor=city_user, rectification=item, note="复核已整改")
    forward()
    assert builders.refresh(at_city).stage == Stage.PROVINCE


# --- R-REV-5: who reviews signs; signed opinions are never edited ----------------------------


def test_r_rev_5_a_b_first_review_needs_two_signers_including_the_actor(
    case, county_user, second_county_user, city_user
):
    with pytest.raises(ValidationError) as exc:
        builders.county_recommend(case, [county_user])
    assert "至少2人" in messages(exc)

    with pytest.raises(ValidationError) as exc:
        builders.sign(
            case,
            county_user,
            D.RECOMMEND,
            signers=[second_county_user],
            grade_code="B",
            verdict_map=builders.verdicts(case),
        )
    assert "提交人须为签署人之一" in messages(exc)

    with pytest.raises(ValidationError) as exc:
        builders.county_recommend(case, [county_user, city_user])
    assert "不能签署本级审核意见" in messages(exc)
    assert not case.opinions.exists()

    opinion = builders.county_recommend(case, [county_user, second_county_user])
    assert set(opinion.signers.all()) == {county_user, second_county_user}
    assert opinion.signed_by == county_user
    event = AuditEvent.objects.get(code="review.county.recommended")
    assert sorted(event.data["signers"]) == sorted(
        [county_user.username, second_county_user.username]
    )


def test_r_rev_5_an_expert_of_the_review_group_may_co_sign_the_first_review(case, county_user):
    member = builders.expert("N31")
    opinion = builders.county_recommend(case, [county_user, member])
    assert set(opinion.signers.all()) == {county_user, member}


def test_r_rev_5_signed_opinions_are_never_edited_corrections_are_new(
    at_city, city_user, n31_expert
):
    editing = [
        name
        for module in (decisions, panels, onsite, sampling, annual)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__
        and "opinion" in name
        and any(w in name for w in ("edit", "update", "change", "modify", "delete"))
    ]
    assert editing == []

    original = at_city.opinions.get(kind=Opinion.Kind.FIRST_REVIEW)
    before = snapshot(original)
    builders.city_ready_to_forward(at_city, city_user, n31_expert)
    builders.sign(at_city, city_user, D.FORWARD, grade_code="B")
    assert snapshot(original) == before

    correction = Opinion.objects.create(
        case=at_city,
        kind=original.kind,
        decision=original.decision,
        grade=original.grade,
        summary="更正：第3项意见笔误",
        conclusion=original.conclusion,
        signed_by=original.signed_by,
        signed_at=original.signed_at,
        corrects=original,
    )
    assert list(original.corrections.all()) == [correction]
    assert snapshot(original) == before
    assert at_city.opinions.filter(kind=Opinion.Kind.FIRST_REVIEW).count() == 2


# --- Four-eyes: nobody recommends and decides on the same case -------------------------------


def test_r_rev_5_four_eyes_county_signer_cannot_sign_the_city_or_province_decision(
    at_city, county_user, city_user, province_user, n31_expert
):
    # Signed the first review as county staff; then moved to the city bureau.
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_city, city_user, D.FORWARD, signers=[city_user, county_user])
    assert "不能签署本级审核意见" in messages(exc)

    county_user.role, county_user.region = User.Role.CITY, Region.objects.get(code="410100")
    county_user.save()
    builders.city_ready_to_forward(at_city, city_user, n31_expert)
    with pytest.raises(ValidationError) as exc:
        builders.sign(
            at_city, city_user, D.FORWARD, signers=[city_user, county_user], grade_code="B"
        )
    assert "四眼原则" in messages(exc)
    assert county_user.display_name in messages(exc)
    builders.sign(at_city, city_user, D.FORWARD, grade_code="B")

    # ... and then to the province.
    county_user.role, county_user.region = User.Role.PROVINCE, Region.objects.get(code="410000")
    county_user.save()
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_city, county_user, D.CONFIRM, grade_code="B")
    assert "四眼原则" in messages(exc)
    city_user.role, city_user.region = User.Role.PROVINCE, Region.objects.get(code="410000")
    city_user.save()
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_city, province_user, D.CONFIRM, signers=[province_user, city_user])
    assert "四眼原则" in messages(exc)
    builders.sign(at_city, province_user, D.CONFIRM, grade_code="B")
    assert builders.refresh(at_city).stage == Stage.DECIDED


def test_r_rev_5_four_eyes_first_review_expert_cannot_co_sign_the_city_review(
    case, county_user, city_user
):
    member = builders.expert("N31")
    builders.county_recommend(case, [county_user, member])
    case = builders.refresh(case)
    builders.city_ready_to_forward(case, city_user, member)
    with pytest.raises(ValidationError) as exc:
        builders.sign(case, city_user, D.FORWARD, signers=[city_user, member], grade_code="B")
    assert "四眼原则" in messages(exc)


def test_r_rev_5_four_eyes_panel_expert_does_not_co_sign_the_province_decision(
    at_province, province_user, n31_expert
):
    with pytest.raises(ValidationError) as exc:
        builders.sign(
            at_province,
            province_user,
            D.CONFIRM,
            signers=[province_user, n31_expert],
            grade_code="B",
        )
    assert "不能签署本级审核意见" in messages(exc)
    assert not at_province.opinions.filter(kind=Opinion.Kind.PROVINCE_CHECK).exists()


# --- R-GRADE-3: strict grading ---------------------------------------------------------------


def test_r_grade_3_an_unmet_indicator_means_the_next_lower_grade(
    case, county_user, second_county_user
):
    verdicts = builders.verdicts(case, s3=builders.NOT_MEETS)
    signers = [county_user, second_county_user]
    with pytest.raises(ValidationError) as exc:
        builders.sign(
            case, county_user, D.RECOMMEND, signers=signers, grade_code="B", verdict_map=verdicts
        )
    assert "R-GRADE-3" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        builders.sign(
            case, county_user, D.RECOMMEND, signers=signers, grade_code="A", verdict_map=verdicts
        )
    assert "不能高于企业自评估等级" in messages(exc)

    opinion = builders.sign(
        case, county_user, D.RECOMMEND, signers=signers, grade_code="C", verdict_map=verdicts
    )
    assert builders.refresh(case).proposed_grade.code == "C"
    assert opinion.indicators.filter(verdict=IndicatorOpinion.Verdict.NOT_MEETS).count() == 1


def test_r_grade_3_every_applicable_row_needs_a_verdict(case, county_user, second_county_user):
    verdicts = builders.verdicts(case)
    verdicts.popitem()
    with pytest.raises(ValidationError) as exc:
        builders.sign(
            case,
            county_user,
            D.RECOMMEND,
            signers=[county_user, second_county_user],
            grade_code="B",
            verdict_map=verdicts,
        )
    assert "请对每项指标给出初审意见" in messages(exc)


def test_r_decl_6_needs_evidence_refuses_recommend_the_county_returns(
    case, county_user, second_county_user
):
    verdicts = builders.verdicts(case, s2=builders.NEEDS_EVIDENCE)
    with pytest.raises(ValidationError) as exc:
        builders.sign(
            case,
            county_user,
            D.RECOMMEND,
            signers=[county_user, second_county_user],
            grade_code="B",
            verdict_map=verdicts,
        )
    assert "请退回企业修改" in messages(exc)

    builders.sign(case, county_user, D.RETURN, verdict_map=verdicts, conclusion="补充无组织证明")
    case = builders.refresh(case)
    assert case.stage == Stage.RETURNED
    assert case.declaration.status == Declaration.Status.RETURNED


# --- R-DECL-6: return, rectify, resubmit; reject ---------------------------------------------


def test_r_decl_6_resubmission_opens_a_new_case_at_the_county(
    case, enterprise_user, county_user, second_county_user
):
    builders.sign(case, county_user, D.RETURN, conclusion="储罐指标证明材料不全，请补充")
    old = builders.refresh(case)
    declaration = Declaration.objects.get(pk=case.declaration_id)
    assert declaration.status == Declaration.Status.RETURNED
    assert old.stage == Stage.RETURNED and old.closed_at is not None
    assert open_case_for(declaration) is None

    with pytest.raises(ValidationError) as exc:
        lifecycle.declaration_submit(actor=enterprise_user, declaration=declaration)
    assert "R-DECL-6" in messages(exc)
    version = lifecycle.declaration_submit(
        actor=enterprise_user, declaration=declaration, rectification="已补充储罐检测报告"
    )
    assert version.number == 2 and version.rectification == "已补充储罐检测报告"

    new = builders.open_case(county_user, declaration)
    assert new.pk != old.pk
    assert (new.stage, new.version.number) == (Stage.COUNTY, 2)
    assert builders.refresh(old).stage == Stage.RETURNED
    assert open_case_for(declaration) == new
    builders.county_recommend(new, [county_user, second_county_user])
    assert builders.refresh(new).stage == Stage.CITY


def test_r_decl_6_the_city_may_return_too(at_city, city_user):
    builders.sign(at_city, city_user, D.RETURN, conclusion="现场与申报不符，请整改后重新申报")
    at_city = builders.refresh(at_city)
    assert at_city.stage == Stage.RETURNED
    assert at_city.declaration.status == Declaration.Status.RETURNED


def test_r_rev_1_reject_closes_the_declaration_with_its_reason(case, county_user):
    with pytest.raises(ValidationError):
        builders.sign(case, county_user, D.REJECT, conclusion="  ")
    builders.sign(case, county_user, D.REJECT, conclusion="不属于包装印刷行业")
    case = builders.refresh(case)
    assert case.stage == Stage.REJECTED and case.closed_at is not None
    assert case.declaration.status == Declaration.Status.REJECTED
    event = AuditEvent.objects.get(code="declaration.rejected", object_id=str(case.declaration_id))
    assert event.reason == "不属于包装印刷行业"


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


# --- Jurisdiction ----------------------------------------------------------------------------


def test_another_county_can_neither_act_on_nor_see_the_case(
    case, enterprise_user, other_county_user, county_user, second_county_user
):
    with pytest.raises(PermissionDenied):
        builders.county_recommend(case, [other_county_user])
    with pytest.raises(Http404):
        case_get(viewer=other_county_user, pk=case.pk)
    assert case_get(viewer=county_user, pk=case.pk) == case

    other = factories.enterprise_user(factories.enterprise(county="410184", industry="N31"))
    declaration = builders.submitted(other, grade="B")
    with pytest.raises(PermissionDenied):
        builders.open_case(other_county_user, declaration)
    with pytest.raises(PermissionDenied):
        builders.open_case(builders.city_staff("410100"), declaration)


def test_another_city_cannot_act_on_the_case(at_city):
    with pytest.raises(PermissionDenied):
        builders.sign(at_city, builders.city_staff("410200"), D.RETURN)


def test_r_rev_1_jiyuan_county_and_city_steps_are_done_by_its_two_roles(province_user):
    ent = factories.enterprise(county="419001", industry="N31")
    user = factories.enterprise_user(ent)
    county_a, county_b = builders.county_staff("419001"), builders.county_staff("419001")
    city = builders.city_staff("419001")
    case = builders.open_case(county_a, builders.submitted(user, grade="B"))
    with pytest.raises(PermissionDenied):
        builders.county_recommend(case, [city])

    builders.county_recommend(case, [county_a, county_b])
    case = builders.refresh(case)
    assert case.stage == Stage.CITY
    with pytest.raises(PermissionDenied):
        builders.sign(case, county_a, D.FORWARD, grade_code="B")
    builders.city_ready_to_forward(case, city, builders.expert("N31"))
    builders.sign(case, city, D.FORWARD, grade_code="B")
    builders.sign(builders.refresh(case), province_user, D.CONFIRM, grade_code="B")
    case = builders.refresh(case)
    assert case.stage == Stage.DECIDED
    by_kind = {o.kind: o.signed_by for o in case.opinions.all()}
    assert by_kind[Opinion.Kind.FIRST_REVIEW] == county_a
    assert by_kind[Opinion.Kind.CITY_REVIEW] == city
    assert county_a != city


def test_r_rev_5_correction_is_a_new_signed_entry(at_city, county_user, city_user):
    """The original opinion stays as signed; the correction points at it."""
    original = at_city.opinions.order_by("signed_at").first()
    before = (
        original.summary,
        original.conclusion,
        sorted(original.signers.values_list("pk", flat=True)),
    )
    with pytest.raises(PermissionDenied):
        decisions.opinion_correct(
            actor=city_user, opinion=original, summary="x", conclusion="y", reason="z"
        )
    correction = decisions.opinion_correct(
        actor=county_user,
        opinion=original,
        summary="更正：补充说明",
        conclusion=original.conclusion,
        reason="文字错误",
    )
    original.refresh_from_db()
    after = (
        original.summary,
        original.conclusion,
        sorted(original.signers.values_list("pk", flat=True)),
    )
    assert after == before
    assert correction.corrects == original and correction.pk != original.pk
    assert builders.refresh(at_city).stage == ReviewCase.Stage.CITY
