"""Downgrade cases (R-DYN-1; 001 三(七), 002 第十五条): opened at the county by a violation of
the R-DYN-1 kinds, a failed inspection, a founded public report or a measure not taken during
an alert; inspection problems go to an expert second review; the county signs the outcome
four-eyes; the grade history records it with its source and the list follows."""

import datetime
import re
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditEvent
from emergency_list.models import ListEntry
from emergency_list.services.entries import entry_build
from grading.models import EnterpriseIndustry, GradeRecord, ViolationRecord
from grading.services.grades import grade_record_add
from grading.services.violations import violation_record_add
from review.models import CaseOpinion, CaseOpinionForm, DowngradeCase, DowngradeTrigger
from review.selectors.downgrades import downgrade_get, downgrade_list, downgrade_queue
from review.selectors.experts import expert_history, expert_workload
from review.services import downgrades
from review.tests import builders
from tests import factories

pytestmark = pytest.mark.django_db

Reason = DowngradeCase.Reason
Outcome = DowngradeCase.Outcome
Stage = DowngradeCase.Stage


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)
    import review.tasks

    monkeypatch.setattr(review.tasks.render_case_form, "delay", lambda *a, **k: None)


def grade_b(enterprise, industry="N31", code="B"):
    grade_record_add(
        actor=None,
        enterprise=enterprise,
        industry=builders.industry(industry),
        grade=builders.grade(code),
        effective_from=datetime.date(2025, 3, 1),
        source=GradeRecord.Source.REVIEW,
        source_ref="SB2025000001",
    )
    return enterprise


def grade_of(enterprise, industry="N31") -> str:
    return EnterpriseIndustry.objects.get(
        enterprise=enterprise, industry__code=industry
    ).current_grade.code


def violation(actor, enterprise, kind=ViolationRecord.Kind.EXCEEDING_PERMIT, **extra):
    today = timezone.localdate()
    return violation_record_add(
        actor=actor,
        enterprise=enterprise,
        data={
            "kind": kind,
            "occurred_on": today - datetime.timedelta(days=10),
            "decided_on": today - datetime.timedelta(days=2),
            "document_no": "新环罚〔2026〕12号",
            "description": "在线监测显示颗粒物小时浓度超标",
            **extra,
        },
    )


def decide(case, actor, signers, outcome=Outcome.DOWNGRADE, grade="C", **kwargs):
    return downgrades.downgrade_decide(
        actor=actor,
        case=case,
        outcome=outcome,
        grade=builders.grade(grade) if grade else None,
        summary="经现场核实，企业存在超标排放行为。",
        conclusion="依据R-DYN-1作出处理。",
        signers=signers,
        **kwargs,
    )


def refresh(case) -> DowngradeCase:
    return DowngradeCase.objects.get(pk=case.pk)


# --- Opening ---------------------------------------------------------------------------------


def test_r_dyn_1_a_violation_of_the_r_dyn_1_kinds_opens_a_case_at_the_county(
    enterprise, county_user, second_county_user, enterprise_user
):
    grade_b(enterprise)
    penalty = violation(county_user, enterprise, kind=ViolationRecord.Kind.ADMINISTRATIVE_PENALTY)
    assert not DowngradeCase.objects.exists()  # a penalty bars A/B (R-ELIG-1), not a case here

    record = violation(county_user, enterprise)
    case = DowngradeCase.objects.get()
    assert (case.stage, case.reasons, case.needs_second_review) == (
        Stage.COUNTY,
        [Reason.EXCEEDING],
        False,
    )
    assert case.number == f"DG{timezone.localdate().year}{case.pk:06d}"
    assert case.industry.code == "N31" and case.opened_by == county_user
    trigger = case.triggers.get()
    assert (trigger.violation, trigger.source, trigger.reference) == (
        record,
        DowngradeTrigger.Source.VIOLATION,
        "新环罚〔2026〕12号",
    )
    assert second_county_user.notifications.filter(code="review.downgrade.opened").exists()
    assert enterprise_user.notifications.filter(code="review.downgrade.opened").exists()
    assert AuditEvent.objects.filter(code="review.downgrade.opened", object_id=str(case.pk))

    # A second violation is added to the open case, not a second case.
    violation(county_user, enterprise, kind=ViolationRecord.Kind.TREATMENT_NOT_RUNNING)
    case = refresh(case)
    assert DowngradeCase.objects.count() == 1
    assert case.reasons == [Reason.EXCEEDING, Reason.TREATMENT_NOT_RUNNING]
    assert case.triggers.count() == 2
    assert penalty.pk not in case.triggers.values_list("violation", flat=True)


def test_r_dyn_1_an_ungraded_enterprise_gets_no_case(enterprise, county_user):
    violation(county_user, enterprise, kind=ViolationRecord.Kind.SECRET_DISCHARGE)
    assert not DowngradeCase.objects.exists()
    with pytest.raises(ValidationError) as exc:
        downgrades.downgrade_case_open(
            actor=county_user,
            enterprise=enterprise,
            reason=Reason.INSPECTION,
            detail="检查发现",
            occurred_on=timezone.localdate(),
        )
    assert "尚无绩效等级" in " ".join(exc.value.messages)


def test_r_dyn_1_counties_report_by_hand_only_what_no_violation_record_carries(
    enterprise, county_user, other_county_user, city_user
):
    grade_b(enterprise)
    body = {
        "enterprise": enterprise,
        "detail": "预警期间未按“一厂一策”停产",
        "occurred_on": timezone.localdate(),
    }
    with pytest.raises(ValidationError) as exc:
        downgrades.downgrade_case_open(actor=county_user, reason=Reason.EXCEEDING, **body)
    assert "请登记违法违规记录" in " ".join(exc.value.messages)
    for outsider in (other_county_user, city_user):
        with pytest.raises(PermissionDenied):
            downgrades.downgrade_case_open(actor=outsider, reason=Reason.ALERT_MEASURE, **body)
    case = downgrades.downgrade_case_open(
        actor=county_user, reason=Reason.ALERT_MEASURE, reference="豫气预〔2026〕3号", **body
    )
    assert case.triggers.get().source == DowngradeTrigger.Source.ALERT
    assert case.stage == Stage.COUNTY


# --- The county's decision -------------------------------------------------------------------


def test_r_dyn_1_the_county_signs_four_eyes_and_the_grade_history_and_list_follow(
    enterprise, county_user, second_county_user, other_county_user, enterprise_user
):
    grade_b(enterprise)
    entry = entry_build(year=timezone.localdate().year, enterprise=enterprise)
    assert entry.grade.code == "B"
    violation(county_user, enterprise)
    case = DowngradeCase.objects.get()

    with pytest.raises(ValidationError) as exc:
        decide(case, county_user, [county_user])
    assert "至少2名县级工作人员共同签署（四眼原则）" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError) as exc:
        decide(case, county_user, [county_user, other_county_user])
    assert "不能签署本案处理决定" in " ".join(exc.value.messages)
    with pytest.raises(PermissionDenied):
        decide(case, other_county_user, [other_county_user, county_user])
    with pytest.raises(ValidationError) as exc:
        decide(case, county_user, [county_user, second_county_user], grade="A")
    assert "须低于现行等级（B级）" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):
        decide(case, county_user, [county_user, second_county_user], grade=None)
    assert grade_of(enterprise) == "B" and not case.opinions.exists()

    opinion = decide(case, county_user, [county_user, second_county_user], grade="C")
    case = refresh(case)
    assert (case.stage, case.outcome, case.grade_before.code, case.grade.code) == (
        Stage.DECIDED,
        Outcome.DOWNGRADE,
        "B",
        "C",
    )
    assert case.decided_on == timezone.localdate()
    assert case.appeal_due == timezone.localdate() + datetime.timedelta(days=15)
    assert opinion.kind == CaseOpinion.Kind.DECISION
    assert set(opinion.signers.all()) == {county_user, second_county_user}
    record = GradeRecord.objects.get(enterprise=enterprise, effective_to__isnull=True)
    assert (record.grade.code, record.source, record.source_ref) == (
        "C",
        GradeRecord.Source.DOWNGRADE,
        case.number,
    )
    enterprise.refresh_from_db()
    assert enterprise.overall_grade.code == "C"
    # The list follows through grading's grade signal.
    assert ListEntry.objects.get(pk=entry.pk).grade.code == "C"
    assert CaseOpinionForm.objects.filter(opinion=opinion, revision=1).exists()
    notice = enterprise_user.notifications.get(code="review.downgrade.decided")
    assert str(case.appeal_due) in notice.message
    with pytest.raises(ValidationError):
        decide(case, county_user, [county_user, second_county_user], grade="D")


def test_r_dyn_1_the_lowest_grade_for_every_graded_industry_and_no_change(
    county_user, second_county_user
):
    ent = factories.enterprise(county="410184", industry=["N31", "N15"])
    grade_b(ent, "N31")
    grade_b(ent, "N15", code="A")
    violation(county_user, ent, kind=ViolationRecord.Kind.SECRET_DISCHARGE)
    case = DowngradeCase.objects.get()
    with pytest.raises(ValidationError) as exc:
        decide(case, county_user, [county_user, second_county_user], outcome=Outcome.LOWEST)
    assert "只有“降为指定等级”须选择等级" in " ".join(exc.value.messages)
    decide(case, county_user, [county_user, second_county_user], outcome=Outcome.LOWEST, grade=None)
    lowest = {r.industry.code: r.current_grade for r in ent.industries.all()}
    for code, grade in lowest.items():
        ladder = downgrades.grade_ladder(builders.industry(code), timezone.localdate())
        assert grade == ladder[-1]
    assert (
        GradeRecord.objects.filter(
            enterprise=ent, source=GradeRecord.Source.DOWNGRADE, effective_to__isnull=True
        ).count()
        == 2
    )

    # Again, already at the lowest: refused; no change writes nothing.
    violation(county_user, ent)
    again = DowngradeCase.objects.exclude(pk=case.pk).get()
    with pytest.raises(ValidationError) as exc:
        decide(
            again,
            county_user,
            [county_user, second_county_user],
            outcome=Outcome.LOWEST,
            grade=None,
        )
    assert "已是最低等级" in " ".join(exc.value.messages)
    records = GradeRecord.objects.count()
    decide(
        again, county_user, [county_user, second_county_user], outcome=Outcome.NO_CHANGE, grade=None
    )
    assert GradeRecord.objects.count() == records
    assert refresh(again).outcome == Outcome.NO_CHANGE


# --- Inspection problems: the expert second review -------------------------------------------


def test_r_dyn_1_inspection_problems_go_to_an_expert_second_review(
    enterprise, county_user, second_county_user, city_user, n31_expert
):
    grade_b(enterprise)
    case = downgrades.downgrade_case_open(
        actor=county_user,
        enterprise=enterprise,
        reason=Reason.INSPECTION,
        detail="专项检查发现VOCs治理设施活性炭未按期更换",
        occurred_on=timezone.localdate(),
        reference="郑环检〔2026〕8号",
    )
    assert (case.stage, case.needs_second_review) == (Stage.SECOND_REVIEW, True)
    assert city_user.notifications.filter(code="review.downgrade.opened").exists()
    with pytest.raises(ValidationError):
        decide(case, county_user, [county_user, second_county_user])

    # Panel rules as for on-site verification.
    with pytest.raises(PermissionDenied):
        downgrades.downgrade_panel_assign(actor=county_user, case=case, experts=[n31_expert])
    with pytest.raises(ValidationError) as exc:
        downgrades.downgrade_panel_assign(
            actor=city_user, case=case, experts=[builders.expert("N15")]
        )
    assert "至少应有1名包装印刷行业专家" in " ".join(exc.value.messages)
    downgrades.downgrade_panel_assign(actor=city_user, case=case, experts=[n31_expert])

    body = {
        "outcome": Outcome.DOWNGRADE,
        "grade": builders.grade("C"),
        "summary": "专家组现场复核，VOCs治理设施不满足B级要求。",
        "conclusion": "建议降为C级。",
    }
    with pytest.raises(ValidationError) as exc:
        downgrades.downgrade_second_review_sign(
            actor=city_user, case=case, signers=[city_user], **body
        )
    assert "须由专家组成员签署" in " ".join(exc.value.messages)
    opinion = downgrades.downgrade_second_review_sign(
        actor=n31_expert, case=case, signers=[n31_expert, city_user], **body
    )
    case = refresh(case)
    assert case.stage == Stage.COUNTY and opinion.kind == CaseOpinion.Kind.SECOND_REVIEW
    assert county_user.notifications.filter(code="review.downgrade.second_review_signed")

    # Four-eyes: the second review's signers do not sign the decision.
    with pytest.raises(ValidationError) as exc:
        decide(case, county_user, [county_user, n31_expert])
    assert "不能签署本案处理决定" in " ".join(exc.value.messages)
    decide(case, county_user, [county_user, second_county_user], grade="C")
    assert grade_of(enterprise) == "C"
    assert refresh(case).stage == Stage.DECIDED


# --- Who sees what ---------------------------------------------------------------------------


def test_downgrade_cases_are_seen_within_reach(
    enterprise, county_user, other_county_user, city_user, enterprise_user, n31_expert
):
    grade_b(enterprise)
    case = downgrades.downgrade_case_open(
        actor=county_user,
        enterprise=enterprise,
        reason=Reason.INSPECTION,
        detail="检查发现问题",
        occurred_on=timezone.localdate(),
    )
    for viewer in (county_user, city_user, enterprise_user):
        assert downgrade_get(viewer=viewer, pk=case.pk) == case
    other_ent_user = factories.enterprise_user(factories.enterprise(county="410184"))
    for outsider in (other_county_user, builders.city_staff("410200"), other_ent_user, n31_expert):
        assert not downgrade_list(viewer=outsider).exists()
    downgrades.downgrade_panel_assign(actor=city_user, case=case, experts=[n31_expert])
    assert list(downgrade_list(viewer=n31_expert)) == [case]
    assert list(downgrade_queue(viewer=city_user)) == [case]
    # The second review counts in the expert's workload and history, within reach.
    assert expert_workload(expert=n31_expert).open_panels == 1
    assert [p.downgrade_case for p in expert_history(viewer=city_user, expert=n31_expert)] == [case]
    assert not expert_history(viewer=builders.city_staff("410200"), expert=n31_expert).exists()
    assert list(downgrade_queue(viewer=county_user)) == []


# --- The form --------------------------------------------------------------------------------


def test_r_dyn_1_the_decision_is_rendered_as_a_form_by_the_worker(
    enterprise, county_user, second_county_user, django_capture_on_commit_callbacks, monkeypatch
):
    import review.tasks

    monkeypatch.undo()
    grade_b(enterprise)
    violation(county_user, enterprise)
    case = DowngradeCase.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        opinion = decide(case, county_user, [county_user, second_county_user], grade="C")
    form = CaseOpinionForm.objects.get(opinion=opinion)
    assert form.status == CaseOpinionForm.Status.READY, form.error
    path = Path(form.file.path)
    text = re.sub(
        r"\s+",
        "",
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout,
    )
    case = refresh(case)
    due = case.appeal_due
    for expected in (
        "绩效等级动态调整处理决定书",
        case.number,
        enterprise.name,
        "原绩效等级",
        "B级",
        "降级事由",
        "超标排放",
        "新环罚〔2026〕12号",
        "核查情况",
        "处理决定",
        "降为指定等级",
        "C级",
        f"可于{due.year}年{due.month}月{due.day}日前向郑州市生态环境局申请复核",
        county_user.display_name,
        "签字：",
    ):
        assert expected in text, expected
    assert review.tasks.render_case_form is not None
