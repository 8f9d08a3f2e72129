"""Grading outside the declaration flow: the yearly re-application of last year's A and B
(R-REV-11) and the county's direct C/D grading of small-micro enterprises."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import Notification
from declarations.models import Declaration
from grading.models import Enterprise, EnterpriseIndustry, GradeRecord
from grading.services.grades import grade_record_add
from review.selectors.annual import reapplication_due
from review.services import annual
from review.tests import builders
from tests import declaration_builders, factories

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
REMINDER = "review.reapply.reminder"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch, time_machine):
    builders.isolate(settings, tmp_path, monkeypatch)
    time_machine.move_to(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI), tick=False)


def graded(grade_code: str, on: datetime.date, **fields) -> Enterprise:
    ent = factories.enterprise(county="410184", industry="N31", **fields)
    grade_record_add(
        actor=None,
        enterprise=ent,
        industry=builders.industry("N31"),
        grade=builders.grade(grade_code),
        effective_from=on,
        source=GradeRecord.Source.IMPORT,
    )
    return ent


# --- R-REV-11: last year's A and B re-apply --------------------------------------------------


def test_r_rev_11_last_years_a_and_b_without_a_declaration_are_due():
    last_year = datetime.date(2025, 7, 1)
    due_a = graded("A", last_year)
    due_b = graded("B", datetime.date(2024, 5, 1))
    declared = graded("B", last_year)
    declaration_builders.draft(factories.enterprise_user(declared), grade="B")
    rejected = graded("A", last_year)
    d = declaration_builders.draft(factories.enterprise_user(rejected), grade="A")
    Declaration.objects.filter(pk=d.pk).update(status=Declaration.Status.REJECTED)
    graded("A", datetime.date(2026, 2, 1))  # graded this year
    graded("C", last_year)  # C does not re-apply

    due = reapplication_due(year=2026)
    assert {r.enterprise for r in due} == {due_a, due_b, rejected}
    assert all(r.current_grade.code in ("A", "B") for r in due)
    # Next year, those graded this year are due too (the declared one still has 2026 only).
    assert len(reapplication_due(year=2027)) == 5


def test_r_rev_11_reminder_notifies_the_enterprises_due():
    last_year = datetime.date(2025, 7, 1)
    due = graded("A", last_year)
    users = [factories.enterprise_user(due), factories.enterprise_user(due)]
    users[1].is_active = False
    users[1].save()
    declared = graded("B", last_year)
    declared_user = factories.enterprise_user(declared)
    declaration_builders.draft(declared_user, grade="B")

    assert annual.reapplication_remind(year=2026) == 1
    notice = Notification.objects.get(code=REMINDER)
    assert notice.recipient == users[0]
    assert "2026年度" in notice.message and "A级" in notice.message
    assert "重新申报" in notice.message
    assert not Notification.objects.filter(recipient=declared_user, code=REMINDER).exists()


# --- County direct grading of small-micro enterprises ----------------------------------------


@pytest.mark.parametrize("code", ["C", "D"])
def test_county_grades_a_small_micro_enterprise_directly(county_user, code):
    ent = factories.enterprise(county="410184", industry="N31", is_small_micro=True)
    record = annual.county_direct_grade(
        actor=county_user,
        enterprise=ent,
        industry=builders.industry("N31"),
        grade=builders.grade(code),
        reason="小微涉气企业，现场核实",
    )
    assert (record.grade.code, record.source, record.source_ref) == (
        code,
        GradeRecord.Source.REVIEW,
        "县级直接评定",
    )
    assert record.effective_from == datetime.date(2026, 3, 10)
    row = EnterpriseIndustry.objects.get(enterprise=ent)
    assert row.current_grade.code == code
    ent.refresh_from_db()
    assert ent.overall_grade.code == code


def test_county_direct_grading_is_refused_for_others(county_user, other_county_user, city_user):
    small = factories.enterprise(county="410184", industry="N31", is_small_micro=True)
    regular = factories.enterprise(county="410184", industry="N31")
    n31 = builders.industry("N31")

    def direct(actor, ent, code="C", reason="现场核实"):
        return annual.county_direct_grade(
            actor=actor, enterprise=ent, industry=n31, grade=builders.grade(code), reason=reason
        )

    with pytest.raises(ValidationError) as exc:
        direct(county_user, regular)
    assert "仅适用于小微涉气企业" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError) as exc:
        direct(county_user, small, "B")
    assert "只能评为C级、D级" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):
        direct(county_user, small, reason=" ")
    for actor in (other_county_user, city_user):
        with pytest.raises(PermissionDenied):
            direct(actor, small)
    assert not GradeRecord.objects.filter(enterprise__in=[small, regular]).exists()
