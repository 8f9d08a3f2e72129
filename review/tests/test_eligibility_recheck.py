"""Every downgrade counts for eligibility (R-ELIG-1, R-ELIG-2, R-ELIG-3): a province spot
check that lowered a grade bars A and B for a year from the declaration date; the county's
acceptance and the deciding signature check again, and a case that fails goes back."""

import datetime
from decimal import Decimal

import pytest

from core.models import Notification
from declarations.models import Declaration
from declarations.services import lifecycle
from declarations.services.lifecycle import SubmissionRefused
from grading.models import EnterpriseIndustry, GradeRecord, ViolationRecord
from grading.services.grades import grade_record_add
from grading.services.violations import violation_record_add
from review.models import Opinion, ReviewCase
from review.services import sampling
from review.services.eligibility import CaseReturnedIneligible
from review.tests import builders
from tests import declaration_builders

pytestmark = pytest.mark.django_db
D = Opinion.Decision
SPOT_CHECK_DAY = datetime.datetime(2026, 3, 2, 10, 0)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


def graded_a(enterprise) -> None:
    grade_record_add(
        actor=None,
        enterprise=enterprise,
        industry=builders.industry("N31"),
        grade=builders.grade("A"),
        effective_from=datetime.date(2025, 1, 1),
        source=GradeRecord.Source.IMPORT,
        source_ref="2025年清单",
    )


def spot_check_downgrade(province_user, enterprise, to: str = "B"):
    """The province draws its sample and records a failed check of the enterprise (A→B)."""
    sample = sampling.sample_draw(actor=province_user, year=2026, percentage=Decimal("100"), seed=1)
    item = sample.items.get(enterprise=enterprise)
    return sampling.spot_check_record(
        actor=province_user,
        item=item,
        passed=False,
        findings="现场治理设施与申报不符",
        downgrade_to=builders.grade(to),
    )


def declare(user, grade: str) -> Declaration:
    return declaration_builders.complete(declaration_builders.draft(user, grade=grade), user)


@pytest.mark.parametrize("days_later", [30, 182])
@pytest.mark.parametrize("grade", ["A", "B"])
def test_r_elig_1_spot_check_downgrade_bars_a_and_b_for_a_year(
    time_machine, enterprise, enterprise_user, province_user, days_later, grade
):
    """The case tried: a spot check downgraded A→B; 30 days, and again 6 months, later the
    enterprise declared A (and B) and was let through. Both are refused now."""
    graded_a(enterprise)
    time_machine.move_to(SPOT_CHECK_DAY, tick=False)
    spot_check_downgrade(province_user, enterprise)
    record = GradeRecord.objects.get(enterprise=enterprise, effective_to__isnull=True)
    assert record.source == GradeRecord.Source.SPOT_CHECK and record.lowers

    time_machine.move_to(SPOT_CHECK_DAY + datetime.timedelta(days=days_later), tick=False)
    d = declare(enterprise_user, grade)
    with pytest.raises(SubmissionRefused) as exc:
        lifecycle.declaration_submit(actor=enterprise_user, declaration=d)
    elig = [i for i in exc.value.issues if i.rule == "R-ELIG-1"]
    assert len(elig) == 1 and "抽查复核" in elig[0].message and "2026-03-02" in elig[0].message
    d.refresh_from_db()
    assert d.status == Declaration.Status.DRAFT


def test_r_elig_1_spot_check_downgrade_lets_c_through_and_a_year_later_b(
    time_machine, enterprise, enterprise_user, province_user
):
    graded_a(enterprise)
    time_machine.move_to(SPOT_CHECK_DAY, tick=False)
    spot_check_downgrade(province_user, enterprise)
    time_machine.move_to(SPOT_CHECK_DAY + datetime.timedelta(days=30), tick=False)
    c = declare(enterprise_user, "C")
    lifecycle.declaration_submit(actor=enterprise_user, declaration=c)
    assert Declaration.objects.get(pk=c.pk).status == Declaration.Status.SUBMITTED

    # A year and a day after the downgrade, next year's declaration of B goes through.
    time_machine.move_to(datetime.datetime(2027, 3, 3, 10, 0), tick=False)
    b = declare(enterprise_user, "B")
    lifecycle.declaration_submit(actor=enterprise_user, declaration=b)
    assert Declaration.objects.get(pk=b.pk).status == Declaration.Status.SUBMITTED


def test_r_elig_1_downgrade_after_submission_returns_the_case_at_acceptance(
    time_machine, enterprise, enterprise_user, province_user, county_user
):
    """An event may happen after submission: the county's acceptance checks again."""
    graded_a(enterprise)
    time_machine.move_to(SPOT_CHECK_DAY, tick=False)
    declaration = builders.submitted(enterprise_user, grade="A")
    spot_check_downgrade(province_user, enterprise)

    case = builders.open_case(county_user, declaration)

    assert case.stage == ReviewCase.Stage.RETURNED and case.closed_at is not None
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.RETURNED
    assert builders.codes_for(declaration)[-2:] == [
        "declaration.returned",
        "review.case.returned_ineligible",
    ]
    notice = Notification.objects.get(
        recipient=enterprise_user, code="review.case.returned_ineligible"
    )
    assert "申报日前一年内" in notice.message and "R-ELIG" not in notice.message
    assert notice.url == f"/declarations/{declaration.pk}/"


def test_r_elig_1_eligible_case_is_accepted(enterprise_user, county_user):
    case = builders.open_case(county_user, builders.submitted(enterprise_user, grade="B"))
    assert case.stage == ReviewCase.Stage.COUNTY


def test_r_elig_3_fraud_finding_before_the_decision_returns_the_case(
    enterprise, enterprise_user, county_user, city_user, province_user
):
    """A fraud finding sets the lowest grade directly; the province's confirmation that
    follows is refused and the case goes back with the reason."""
    second = builders.county_staff()
    expert = builders.expert("N31")
    case = builders.open_case(county_user, builders.submitted(enterprise_user, grade="B"))
    case = builders.to_province(
        case, county_signers=[county_user, second], city_user=city_user, panel_expert=expert
    )
    today = datetime.date.today()
    violation_record_add(
        actor=county_user,
        enterprise=enterprise,
        data={
            "kind": ViolationRecord.Kind.FALSE_MATERIAL,
            "occurred_on": today,
            "decided_on": today,
            "document_no": "新环认〔2026〕3号",
            "description": "提供虚假监测报告",
        },
    )
    row = EnterpriseIndustry.objects.get(enterprise=enterprise, industry__code="N31")
    assert row.current_grade.code == "D"
    fraud = GradeRecord.objects.get(enterprise=enterprise, source=GradeRecord.Source.FRAUD)
    assert fraud.lowers and fraud.source_ref == "新环认〔2026〕3号"

    with pytest.raises(CaseReturnedIneligible) as exc:
        builders.sign(case, province_user, D.CONFIRM, grade_code="B")
    assert {i.rule for i in exc.value.issues} >= {"R-ELIG-1", "R-ELIG-3"}
    assert "已退回企业" in " ".join(exc.value.messages)
    case = builders.refresh(case)
    assert case.stage == ReviewCase.Stage.RETURNED
    assert not case.opinions.filter(kind=Opinion.Kind.PROVINCE_CHECK).exists()
    assert Declaration.objects.get(pk=case.declaration_id).status == Declaration.Status.RETURNED
