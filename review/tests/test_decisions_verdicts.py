"""Verdicts per indicator and what they decide: strict grading (R-GRADE-3), needs-evidence
and returns with resubmission (R-DECL-6), rejection."""

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEvent
from declarations.models import Declaration
from declarations.services import lifecycle
from review.models import IndicatorOpinion, ReviewCase
from review.selectors.cases import open_case_for
from review.tests import builders
from review.tests.builders import D

pytestmark = pytest.mark.django_db

Stage = ReviewCase.Stage


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


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
    assert "按严格分级原则应评为更低等级" in messages(exc)
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
    assert "须说明整改情况" in messages(exc)
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
