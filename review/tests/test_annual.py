"""Grading outside the declaration flow: the yearly re-application of last year's A and B
(R-REV-11) and the county's direct C/D grading of small-micro enterprises."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from core.models import AuditEvent, Notification
from declarations.models import Batch, Declaration
from grading.models import Enterprise, EnterpriseIndustry, GradeRecord
from grading.services.grades import grade_record_add
from review import tasks
from review.models import ReapplicationReminder
from review.selectors.annual import reapplication_due, reapplication_overdue
from review.services import annual
from review.tests import builders
from review.tests.api_client import client_for
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


# --- R-REV-11: reminders before the batch deadline, the county's decision after it --------


def batch_for(industry_code: str, deadline: datetime.date) -> Batch:
    batch = Batch.objects.create(year=deadline.year, name="测试批次", deadline=deadline)
    batch.categories.add(builders.industry(industry_code).category)
    return batch


def test_r_rev_11_reminders_before_the_batch_deadline_are_sent_once_each(
    time_machine, django_capture_on_commit_callbacks, mailoutbox
):
    due = graded("A", datetime.date(2025, 7, 1))
    user = factories.enterprise_user(due)
    user.email = "ent@example.cn"
    user.save()
    batch_for("N31", datetime.date(2026, 4, 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert annual.reapplication_remind(year=2026) == 2  # yearly, and 30 days before
    rounds = set(ReapplicationReminder.objects.values_list("round", flat=True))
    assert rounds == {"yearly", "month_before"}
    assert len(mailoutbox) == 2 and "2026-04-01前" in mailoutbox[0].body + mailoutbox[1].body
    assert AuditEvent.objects.filter(code="review.reapply.reminded").count() == 2
    # A repeated beat run (or a redelivered task) sends nothing again.
    assert annual.reapplication_remind(year=2026) == 0
    assert tasks.remind_reapplications(2026) == 0
    time_machine.move_to(datetime.datetime(2026, 3, 27, 9, 0, tzinfo=SHANGHAI), tick=False)
    assert annual.reapplication_remind(year=2026) == 1  # 7 days before
    time_machine.move_to(datetime.datetime(2026, 4, 2, 9, 0, tzinfo=SHANGHAI), tick=False)
    assert annual.reapplication_remind(year=2026) == 0  # the deadline has passed
    assert Notification.objects.filter(recipient=user, code=REMINDER).count() == 3


def test_r_rev_11_beat_runs_the_reminder_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["remind-reapplications"]
    assert entry["task"] == "review.tasks.remind_reapplications"
    assert entry["schedule"].day_of_month == set(range(1, 32))


def test_r_rev_11_county_decides_on_those_overdue_keep_or_lose(
    county_user, second_county_user, other_county_user
):
    batch_for("N31", datetime.date(2026, 3, 1))
    keep = graded("A", datetime.date(2025, 7, 1))
    lose = graded("B", datetime.date(2025, 7, 1))
    n31 = builders.industry("N31")
    overdue = reapplication_overdue(viewer=county_user, year=2026, today=datetime.date(2026, 3, 10))
    assert {r.enterprise for r in overdue} == {keep, lose}

    def decide(actor, ent, outcome="keep", reason="已列入技改计划，暂予保留"):
        return annual.reapplication_decide(
            actor=actor, enterprise=ent, industry=n31, year=2026, outcome=outcome, reason=reason
        )

    with pytest.raises(PermissionDenied):
        decide(other_county_user, keep)
    with pytest.raises(ValidationError):
        decide(county_user, keep, reason=" ")
    kept = decide(county_user, keep)
    assert (kept.grade_before.code, kept.grade_after.code, kept.signed_by) == (
        "A",
        "A",
        county_user,
    )
    lost = decide(second_county_user, lose, "lose", "逾期未按现行指标重新申报")
    row = EnterpriseIndustry.objects.get(enterprise=lose)
    assert row.current_grade == lost.grade_after and lost.grade_after.code != "B"
    record = GradeRecord.objects.get(enterprise=lose, effective_to__isnull=True)
    assert record.source_ref == "2026年度未按期重新申报" and record.reason
    assert EnterpriseIndustry.objects.get(enterprise=keep).current_grade.code == "A"
    with pytest.raises(ValidationError):
        decide(county_user, keep)  # decided once
    assert not reapplication_due(year=2026).filter(enterprise__in=[keep, lose]).exists()
    assert AuditEvent.objects.filter(code="review.reapply.decided").count() == 2


def test_r_rev_11_not_yet_overdue_cannot_be_decided(county_user):
    batch_for("N31", datetime.date(2026, 5, 1))
    ent = graded("A", datetime.date(2025, 7, 1))
    with pytest.raises(ValidationError):
        annual.reapplication_decide(
            actor=county_user,
            enterprise=ent,
            industry=builders.industry("N31"),
            year=2026,
            outcome="lose",
            reason="逾期",
        )


def test_r_rev_11_reapplications_through_the_api_and_the_page(county_user, other_county_user):
    batch_for("N31", datetime.date(2026, 3, 1))
    ent = graded("A", datetime.date(2025, 7, 1))
    api = client_for(county_user)
    rows = api.get("/api/v1/review/reapplications/?year=2026").json()["results"]
    assert [(r["enterprise"], r["overdue"], r["deadline"]) for r in rows] == [
        (ent.pk, True, "2026-03-01")
    ]
    body = {"enterprise": ent.pk, "industry": "N31", "year": 2026, "outcome": "lose"}
    other = client_for(other_county_user).post(
        "/api/v1/review/reapplications/decide/", {**body, "reason": "逾期"}, format="json"
    )
    assert other.status_code == 404
    blank = api.post("/api/v1/review/reapplications/decide/", {**body, "reason": ""}, format="json")
    assert blank.status_code == 400
    page = Client()
    page.force_login(county_user)
    assert "待决定等级" in page.get("/inbox/").content.decode()
    html = page.get("/review/reapply/?year=2026").content.decode()
    assert ent.name in html and "已逾期" in html and "签署" in html
    response = page.post("/review/reapply/decide/", {**body, "reason": "逾期未申报"})
    assert response.status_code == 302
    html = page.get("/review/reapply/?year=2026").content.decode()
    assert "逾期未申报" in html and "取消原等级" in html
