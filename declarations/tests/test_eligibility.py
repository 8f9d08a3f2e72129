"""Eligibility from every downgrade (declarations/services/eligibility.py): which grade
records count, and the one-year windows measured from the declaration date (R-ELIG-1)."""

import datetime

import pytest
from django.utils import timezone

from declarations.services.eligibility import (
    check_eligibility,
    declaration_eligibility_recheck,
)
from grading.models import Grade, GradeRecord, Industry
from grading.services.grades import grade_record_add
from tests import declaration_builders as builders

pytestmark = pytest.mark.django_db
Source = GradeRecord.Source


def record(enterprise, grade: str, on: datetime.date, source: str) -> GradeRecord:
    return grade_record_add(
        actor=None,
        enterprise=enterprise,
        industry=Industry.objects.get(code="N31"),
        grade=Grade.objects.get(code=grade),
        effective_from=on,
        source=source,
    )


def submitted_on(declaration, day: datetime.date):
    """The declaration as if submitted on ``day`` (the checks read only the date)."""
    declaration.submitted_at = timezone.make_aware(
        datetime.datetime(day.year, day.month, day.day, 9)
    )
    return declaration


@pytest.mark.parametrize(
    "source", [Source.SPOT_CHECK, Source.DOWNGRADE, Source.INSPECTION, Source.APPEAL]
)
def test_r_elig_1_every_source_that_lowers_a_grade_counts(enterprise_user, source):
    d = builders.draft(enterprise_user, grade="B")
    record(d.enterprise, "A", datetime.date(2025, 1, 1), Source.IMPORT)
    lowered = record(d.enterprise, "B", datetime.date(2026, 2, 1), source)
    assert lowered.lowers
    issues = check_eligibility(d, datetime.date(2026, 6, 1))
    assert [i.rule for i in issues] == ["R-ELIG-1"]
    assert "2026-02-01" in issues[0].message and "不得申报B级" in issues[0].message


@pytest.mark.parametrize("source", [Source.REVIEW, Source.IMPORT])
def test_r_elig_1_a_lower_grade_given_by_review_or_import_is_no_downgrade(enterprise_user, source):
    d = builders.draft(enterprise_user, grade="B")
    record(d.enterprise, "A", datetime.date(2025, 1, 1), Source.IMPORT)
    record(d.enterprise, "C", datetime.date(2026, 2, 1), source)
    assert check_eligibility(d, datetime.date(2026, 6, 1)) == []


def test_r_elig_1_a_raised_grade_is_no_downgrade(enterprise_user):
    d = builders.draft(enterprise_user, grade="A")
    record(d.enterprise, "C", datetime.date(2025, 1, 1), Source.IMPORT)
    raised = record(d.enterprise, "B", datetime.date(2026, 2, 1), Source.APPEAL)
    assert not raised.lowers
    assert check_eligibility(d, datetime.date(2026, 6, 1)) == []


def test_r_elig_1_window_runs_from_a_year_before_the_declaration_date(enterprise_user):
    """Declared on 2026-03-01: a downgrade of 2025-03-15 is within its year, even when the
    county re-checks on 2026-04-01 (more than a year after the downgrade); one of
    2025-02-15 is not."""
    d = submitted_on(builders.draft(enterprise_user, grade="B"), datetime.date(2026, 3, 1))
    record(d.enterprise, "A", datetime.date(2024, 1, 1), Source.IMPORT)
    record(d.enterprise, "B", datetime.date(2025, 2, 15), Source.SPOT_CHECK)
    assert declaration_eligibility_recheck(declaration=d, on=datetime.date(2026, 4, 1)) == []

    record(d.enterprise, "C", datetime.date(2025, 3, 15), Source.SPOT_CHECK)
    issues = declaration_eligibility_recheck(declaration=d, on=datetime.date(2026, 4, 1))
    assert [i.rule for i in issues] == ["R-ELIG-1"]
    assert "不得评为B级" in issues[0].message


def test_r_elig_1_recheck_sees_a_downgrade_after_submission(enterprise_user):
    d = submitted_on(builders.draft(enterprise_user, grade="B"), datetime.date(2026, 3, 1))
    record(d.enterprise, "A", datetime.date(2024, 1, 1), Source.IMPORT)
    assert declaration_eligibility_recheck(declaration=d, on=datetime.date(2026, 3, 20)) == []
    record(d.enterprise, "B", datetime.date(2026, 3, 10), Source.SPOT_CHECK)
    issues = declaration_eligibility_recheck(declaration=d, on=datetime.date(2026, 3, 20))
    assert [i.rule for i in issues] == ["R-ELIG-1"]


def test_r_elig_1_recheck_for_the_grade_about_to_be_given(enterprise_user):
    """A decision of C is not barred by a downgrade; one of B is."""
    d = submitted_on(builders.draft(enterprise_user, grade="B"), datetime.date(2026, 3, 1))
    record(d.enterprise, "A", datetime.date(2024, 1, 1), Source.IMPORT)
    record(d.enterprise, "B", datetime.date(2026, 3, 10), Source.SPOT_CHECK)
    on = datetime.date(2026, 3, 20)
    c = Grade.objects.get(code="C")
    assert declaration_eligibility_recheck(declaration=d, on=on, grade=c) == []
    assert declaration_eligibility_recheck(declaration=d, on=on, grade=d.requested_grade)
