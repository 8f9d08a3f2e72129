"""Checks before submit (declarations/services/checks.py): every check has a case it lets
through and a case it refuses, named after the rule it enforces."""

import datetime

import pytest
from django.utils import timezone

from declarations.models import Declaration, Evidence
from declarations.services.checks import (
    check_completeness,
    check_eligibility,
    check_guarantee,
    check_multi_industry,
    check_strict_grading,
    declaration_check,
)
from grading.models import Grade, ViolationRecord
from tests import declaration_builders as builders
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 15)
WITHIN_A_YEAR = datetime.date(2024, 9, 1)
THIRTEEN_MONTHS_AGO = datetime.date(2024, 5, 15)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Evidence files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2025, 6, 15, 10, 0), tick=False)
    return TODAY


def violation(enterprise, recorder, kind: str, *, occurred_on, decided_on, **extra):
    return ViolationRecord.objects.create(
        enterprise=enterprise,
        kind=kind,
        occurred_on=occurred_on,
        decided_on=decided_on,
        document_no="新环罚〔2024〕12号",
        description="测试记录",
        recorded_by=recorder,
        **extra,
    )


def with_grade(declaration: Declaration, code: str, control_type: str = "grading"):
    """The checks read only the requested grade and control type: judge the same declaration
    at another grade without going through the drafting rules."""
    declaration.requested_grade = Grade.objects.get(code=code)
    declaration.control_type = control_type
    return declaration


def rules(issues) -> set[str]:
    return {i.rule for i in issues}


# --- R-ELIG-1 ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["penalty", "downgrade"])
@pytest.mark.parametrize("grade", ["A", "B", "B-", "LEAD"])
def test_r_elig_1_penalty_within_a_year_bars_a_b_and_leading(
    frozen_today, enterprise_user, county_user, kind, grade
):
    d = builders.draft(enterprise_user, grade="B")
    violation(d.enterprise, county_user, kind, occurred_on=WITHIN_A_YEAR, decided_on=WITHIN_A_YEAR)
    issues = check_eligibility(with_grade(d, grade), on=frozen_today)
    assert [i.rule for i in issues] == ["R-ELIG-1"]
    assert "不得申报" in issues[0].message
    assert "新环罚〔2024〕12号" in issues[0].message


def test_r_elig_1_penalty_within_a_year_does_not_bar_c(frozen_today, enterprise_user, county_user):
    d = builders.draft(enterprise_user, grade="C")
    violation(d.enterprise, county_user, "penalty", occurred_on=TODAY, decided_on=WITHIN_A_YEAR)
    assert check_eligibility(d, on=frozen_today) == []


def test_r_elig_1_penalty_decided_13_months_ago_does_not_bar(
    frozen_today, enterprise_user, county_user
):
    d = builders.draft(enterprise_user, grade="A")
    violation(
        d.enterprise,
        county_user,
        "penalty",
        occurred_on=THIRTEEN_MONTHS_AGO,
        decided_on=THIRTEEN_MONTHS_AGO,
    )
    assert check_eligibility(d, on=frozen_today) == []


def test_r_elig_1_revoked_penalty_does_not_bar(frozen_today, enterprise_user, county_user):
    d = builders.draft(enterprise_user, grade="A")
    violation(
        d.enterprise,
        county_user,
        "penalty",
        occurred_on=WITHIN_A_YEAR,
        decided_on=WITHIN_A_YEAR,
        revoked=True,
    )
    assert check_eligibility(d, on=frozen_today) == []


def test_r_elig_1_another_enterprises_penalty_does_not_bar(
    frozen_today, enterprise_user, other_enterprise, county_user
):
    d = builders.draft(enterprise_user, grade="A")
    violation(other_enterprise, county_user, "penalty", occurred_on=TODAY, decided_on=WITHIN_A_YEAR)
    assert check_eligibility(d, on=frozen_today) == []


# --- R-ELIG-2 ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["unapproved", "exceeding", "monitoring", "crime"])
@pytest.mark.parametrize("grade", ["A", "B", "B-", "LEAD", "ADV"])
def test_r_elig_2_violation_within_a_year_bars_high_grades(
    frozen_today, enterprise_user, county_user, kind, grade
):
    d = builders.draft(enterprise_user, grade="B")
    violation(d.enterprise, county_user, kind, occurred_on=WITHIN_A_YEAR, decided_on=TODAY)
    assert rules(check_eligibility(with_grade(d, grade), on=frozen_today)) == {"R-ELIG-2"}


def test_r_elig_2_violation_within_a_year_bars_guarantee_class_even_at_c(
    frozen_today, enterprise_user, county_user
):
    d = builders.draft(enterprise_user, grade="C")
    violation(d.enterprise, county_user, "crime", occurred_on=WITHIN_A_YEAR, decided_on=TODAY)
    assert check_eligibility(d, on=frozen_today) == []
    guarantee = with_grade(d, "C", control_type=Declaration.ControlType.GUARANTEE)
    issues = check_eligibility(guarantee, on=frozen_today)
    assert rules(issues) == {"R-ELIG-2"}
    assert "保障类" in issues[0].message


def test_r_elig_2_violation_outside_the_year_does_not_bar(
    frozen_today, enterprise_user, county_user
):
    d = builders.draft(enterprise_user, grade="A")
    # Occurred 13 months ago, decided recently: the act is what counts.
    violation(
        d.enterprise,
        county_user,
        "unapproved",
        occurred_on=THIRTEEN_MONTHS_AGO,
        decided_on=WITHIN_A_YEAR,
    )
    assert check_eligibility(d, on=frozen_today) == []
    guarantee = with_grade(d, "B", control_type=Declaration.ControlType.GUARANTEE)
    assert check_eligibility(guarantee, on=frozen_today) == []


def test_r_elig_2_revoked_violation_does_not_bar(frozen_today, enterprise_user, county_user):
    d = builders.draft(enterprise_user, grade="A")
    violation(
        d.enterprise,
        county_user,
        "exceeding",
        occurred_on=WITHIN_A_YEAR,
        decided_on=TODAY,
        revoked=True,
    )
    assert check_eligibility(d, on=frozen_today) == []


# --- R-ELIG-3 ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["false_material", "bribery"])
@pytest.mark.parametrize("grade", ["A", "B", "C"])
def test_r_elig_3_false_material_refuses_anything_above_the_lowest_grade(
    frozen_today, enterprise_user, county_user, kind, grade
):
    d = builders.draft(enterprise_user, grade="B")
    violation(d.enterprise, county_user, kind, occurred_on=WITHIN_A_YEAR, decided_on=WITHIN_A_YEAR)
    issues = [i for i in check_eligibility(with_grade(d, grade), on=frozen_today)]
    assert "R-ELIG-3" in rules(issues)
    message = next(i.message for i in issues if i.rule == "R-ELIG-3")
    assert "D级" in message  # the lowest grade of the N31 scheme


@pytest.mark.parametrize("kind", ["false_material", "bribery"])
def test_r_elig_3_lowest_grade_is_allowed(frozen_today, enterprise_user, county_user, kind):
    d = builders.draft(enterprise_user, grade="D")
    violation(d.enterprise, county_user, kind, occurred_on=WITHIN_A_YEAR, decided_on=WITHIN_A_YEAR)
    assert check_eligibility(d, on=frozen_today) == []


# --- R-GUAR-1, R-GUAR-2 -------------------------------------------------------------------


def test_r_guar_2_guarantee_class_in_a_key_industry_at_c_is_refused(enterprise_user):
    d = builders.draft(
        enterprise_user, grade="C", control_type="guarantee", guarantee_category="livelihood"
    )
    issues = check_guarantee(d)
    assert rules(issues) == {"R-GUAR-2"}
    assert "B级" in issues[0].message


@pytest.mark.parametrize("grade", ["A", "B"])
def test_r_guar_2_guarantee_class_in_a_key_industry_at_b_or_better_is_allowed(
    enterprise_user, grade
):
    d = builders.draft(
        enterprise_user, grade=grade, control_type="guarantee", guarantee_category="livelihood"
    )
    assert check_guarantee(d) == []


def test_r_guar_2_guarantee_class_leading_is_allowed():
    ent = factories.enterprise(industry="HN01")
    user = factories.enterprise_user(ent)
    d = builders.draft(
        user,
        industry="HN01",
        grade="LEAD",
        control_type="guarantee",
        guarantee_category="city_operation",
    )
    assert d.indicator_set.scheme.code == "LEAD"
    assert check_guarantee(d) == []
    assert check_guarantee(with_grade(d, "NONLEAD", "guarantee")) != []


def test_r_guar_1_guarantee_class_without_category_is_refused(enterprise_user):
    d = builders.draft(enterprise_user, grade="B", control_type="guarantee")
    assert rules(check_guarantee(d)) == {"R-GUAR-1"}
    d.guarantee_category = Declaration.GuaranteeCategory.FOREIGN_TRADE
    assert check_guarantee(d) == []


def test_r_guar_2_does_not_apply_to_the_general_industry():
    ent = factories.enterprise(industry="GENERAL")
    user = factories.enterprise_user(ent)
    d = builders.draft(
        user,
        industry="GENERAL",
        grade="NONADV",
        control_type="guarantee",
        guarantee_category="emerging",
    )
    assert d.indicator_set.scheme.code == "ADV"
    assert check_guarantee(d) == []


def test_r_guar_2_grading_control_type_is_not_checked(enterprise_user):
    d = builders.draft(enterprise_user, grade="D")
    assert check_guarantee(d) == []


# --- R-GRADE-4 ----------------------------------------------------------------------------


@pytest.fixture
def two_industry_user():
    ent = factories.enterprise(industry=["N31", "N15"])
    return factories.enterprise_user(ent)


def test_r_grade_4_two_industries_with_different_grades_are_refused(two_industry_user):
    printing = builders.draft(two_industry_user, industry="N31", grade="B")
    cement = builders.draft(two_industry_user, industry="N15", grade="C")
    issues = check_multi_industry(printing)
    assert rules(issues) == {"R-GRADE-4"}
    assert "水泥" in issues[0].message and "C级" in issues[0].message
    assert rules(check_multi_industry(cement)) == {"R-GRADE-4"}


def test_r_grade_4_two_industries_with_the_same_grade_pass(two_industry_user):
    printing = builders.draft(two_industry_user, industry="N31", grade="B")
    cement = builders.draft(two_industry_user, industry="N15", grade="B")
    assert check_multi_industry(printing) == []
    assert check_multi_industry(cement) == []


def test_r_grade_4_other_years_and_rejected_declarations_do_not_count(two_industry_user):
    printing = builders.draft(two_industry_user, industry="N31", grade="B")
    cement = builders.draft(
        two_industry_user, industry="N15", grade="C", year=timezone.localdate().year + 1
    )
    assert check_multi_industry(printing) == []
    Declaration.objects.filter(pk=cement.pk).update(year=printing.year, status="rejected")
    assert check_multi_industry(printing) == []


# --- R-GRADE-3 ----------------------------------------------------------------------------


def test_r_grade_3_one_unmet_indicator_blocks_the_grade(enterprise_user):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    row = d.indicator_rows.order_by("seq").first()
    assert check_strict_grading(d) == []
    row.meets = False
    row.save()
    issues = check_strict_grading(d)
    assert rules(issues) == {"R-GRADE-3"}
    assert issues[0].row == row.seq
    assert "严格分级" in issues[0].message
    row.meets = True
    row.save()
    assert check_strict_grading(d) == []


def test_r_grade_3_not_applicable_rows_do_not_block(enterprise_user):
    d = builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)
    d.indicator_rows.update(applicable=False, meets=False, not_applicable_reason="不涉及")
    assert check_strict_grading(d) == []


# --- R-DECL-2, R-DECL-3, R-DECL-4: completeness ---------------------------------------------


@pytest.fixture
def complete_declaration(enterprise_user):
    return builders.complete(builders.draft(enterprise_user, grade="B"), enterprise_user)


def test_complete_declaration_has_no_issues(complete_declaration):
    assert declaration_check(complete_declaration, on=timezone.localdate()) == []


def test_r_decl_2_a_new_draft_is_incomplete(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    found = rules(check_completeness(d))
    assert {"R-DECL-2", "R-DECL-3", "R-DECL-4"} <= found


@pytest.mark.parametrize(
    "field", ["address", "responsible_person", "responsible_mobile", "output_value"]
)
def test_r_decl_2_missing_application_field(complete_declaration, field):
    d = complete_declaration
    setattr(d, field, None if field == "output_value" else "")
    issues = check_completeness(d)
    assert [(i.rule, i.section) for i in issues] == [("R-DECL-2", "application")]
    label = str(Declaration._meta.get_field(field).verbose_name)
    assert issues[0].message == f"申请表未填写：{label}"


@pytest.mark.parametrize(
    "who,when", [("truth_commitment_by", None), (None, "reduction_commitment_on")]
)
def test_r_decl_2_missing_commitment(complete_declaration, who, when):
    d = complete_declaration
    if who:
        setattr(d, who, "")
    if when:
        setattr(d, when, None)
    issues = check_completeness(d)
    assert [(i.rule, i.section) for i in issues] == [("R-DECL-2", "commitments")]
    assert "尚未由法定代表人确认" in issues[0].message


def test_r_decl_2_commitment_by_someone_other_than_the_legal_representative(
    complete_declaration,
):
    d = complete_declaration
    d.truth_commitment_by = "张三"
    issues = check_completeness(d)
    assert [(i.rule, i.section) for i in issues] == [("R-DECL-2", "commitments")]
    assert "法定代表人王建国" in issues[0].message
    d.truth_commitment_by = " 王建国 "
    assert check_completeness(d) == []


@pytest.mark.parametrize(
    "field",
    [
        "longitude",
        "latitude",
        "industry_code",
        "emission_standards",
        "legal_compliance",
        "process_description",
    ],
)
def test_r_decl_2_missing_basic_field(complete_declaration, field):
    d = complete_declaration
    setattr(d, field, None if field in ("longitude", "latitude") else "")
    issues = check_completeness(d)
    assert [(i.rule, i.section) for i in issues] == [("R-DECL-2", "basic")]
    assert issues[0].message.startswith("企业基本情况未填写：")


@pytest.mark.parametrize(
    "table,rule,section",
    [
        ("products", "R-DECL-2", "production"),
        ("materials", "R-DECL-2", "materials"),
        ("facilities", "R-DECL-4", "facilities"),
    ],
)
def test_r_decl_2_r_decl_4_missing_table(complete_declaration, table, rule, section):
    d = complete_declaration
    getattr(d, table).all().delete()
    assert [(i.rule, i.section) for i in check_completeness(d)] == [(rule, section)]


def test_r_decl_2_missing_transport(complete_declaration):
    d = complete_declaration
    d.transport.all().delete()
    assert [(i.rule, i.section) for i in check_completeness(d)] == [("R-DECL-2", "transport")]


def test_r_decl_4_road_transport_without_vehicles(complete_declaration):
    d = complete_declaration
    d.vehicles.all().delete()
    issues = check_completeness(d)
    assert [(i.rule, i.section) for i in issues] == [("R-DECL-4", "transport")]
    assert "车辆电子台账" in issues[0].message
    # Rail only: no vehicle ledger is needed.
    d.transport.update(mode="rail")
    assert check_completeness(d) == []


def _first_row(d):
    return d.indicator_rows.order_by("seq").first()


def test_r_decl_3_applicable_row_without_statement(complete_declaration):
    row = _first_row(complete_declaration)
    row.statement = "  "
    row.save()
    issues = check_completeness(complete_declaration)
    assert [(i.rule, i.row) for i in issues] == [("R-DECL-3", row.seq)]
    assert "未填写企业对标情况" in issues[0].message


def test_r_decl_3_applicable_row_without_meets(complete_declaration):
    row = _first_row(complete_declaration)
    row.meets = None
    row.save()
    issues = check_completeness(complete_declaration)
    assert [(i.rule, i.row) for i in issues] == [("R-DECL-3", row.seq)]
    assert "未自评是否达到要求" in issues[0].message


def test_r_decl_3_applicable_row_without_evidence(complete_declaration, enterprise_user):
    row = _first_row(complete_declaration)
    evidence = row.evidence.get()
    # A replaced proof does not count; only the current one does.
    newer = Evidence.objects.create(
        declaration=complete_declaration,
        section="basic",
        title="其他材料",
        original_name="x.pdf",
        file="evidence/x.pdf",
        kind="pdf",
        content_type="application/pdf",
        extension=".pdf",
        size=1,
        sha256="0" * 64,
        uploaded_by=enterprise_user,
    )
    Evidence.objects.filter(pk=evidence.pk).update(replaced_by=newer)
    issues = check_completeness(complete_declaration)
    assert [(i.rule, i.row) for i in issues] == [("R-DECL-3", row.seq)]
    assert "缺少证明材料" in issues[0].message


def test_r_decl_3_not_applicable_row_needs_a_reason(complete_declaration):
    row = _first_row(complete_declaration)
    row.applicable = False
    row.not_applicable_reason = ""
    row.save()
    issues = check_completeness(complete_declaration)
    assert [(i.rule, i.row) for i in issues] == [("R-DECL-3", row.seq)]
    assert "标为不涉及，请说明理由" in issues[0].message
    row.not_applicable_reason = "本企业无此工序"
    row.save()
    assert check_completeness(complete_declaration) == []


def test_declaration_check_orders_eligibility_first(
    complete_declaration, county_user, frozen_today
):
    violation(
        complete_declaration.enterprise,
        county_user,
        "penalty",
        occurred_on=WITHIN_A_YEAR,
        decided_on=WITHIN_A_YEAR,
    )
    complete_declaration.address = ""
    issues = declaration_check(complete_declaration, on=frozen_today)
    assert [i.rule for i in issues] == ["R-ELIG-1", "R-DECL-2"]
