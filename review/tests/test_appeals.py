"""Appeals (R-REV-10; 002 第十五条): within the set number of days of a county-level decision
the enterprise asks the city to re-review it with reasons and files; the city re-reviews (with
a panel where needed) and signs; the grade changes only when the city signs; the enterprise
sees each step. Walked through the services, the API and the pages."""

import datetime

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent
from grading.models import EnterpriseIndustry, GradeRecord, ViolationRecord
from grading.services.grades import grade_record_add
from grading.services.violations import violation_record_add
from review.models import Appeal, CaseOpinionForm, DowngradeCase
from review.services import annual, appeals, downgrades
from review.tests import builders
from review.tests.api_client import client_for, messages
from tests import factories

pytestmark = pytest.mark.django_db

APPEALS = "/api/v1/review/appeals/"
Outcome = Appeal.Outcome
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n166\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)
    import review.tasks

    monkeypatch.setattr(review.tasks.render_case_form, "delay", lambda *a, **k: None)


def pdf(name="整改说明.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def grade_of(enterprise, industry="N31") -> str:
    return EnterpriseIndustry.objects.get(
        enterprise=enterprise, industry__code=industry
    ).current_grade.code


@pytest.fixture
def downgraded(enterprise, county_user, second_county_user):
    """新郑's B enterprise downgraded to C by the county today (an exceeding violation)."""
    grade_record_add(
        actor=None,
        enterprise=enterprise,
        industry=builders.industry("N31"),
        grade=builders.grade("B"),
        effective_from=datetime.date(2025, 6, 1),
        source=GradeRecord.Source.REVIEW,
    )
    today = timezone.localdate()
    violation_record_add(
        actor=county_user,
        enterprise=enterprise,
        data={
            "kind": ViolationRecord.Kind.EXCEEDING_PERMIT,
            "occurred_on": today - datetime.timedelta(days=5),
            "decided_on": today - datetime.timedelta(days=1),
            "description": "颗粒物超标",
        },
    )
    case = DowngradeCase.objects.get()
    downgrades.downgrade_decide(
        actor=county_user,
        case=case,
        outcome=DowngradeCase.Outcome.DOWNGRADE,
        grade=builders.grade("C"),
        summary="超标属实。",
        conclusion="降为C级。",
        signers=[county_user, second_county_user],
    )
    return DowngradeCase.objects.get(pk=case.pk)


def file_appeal(user, case, **kwargs) -> Appeal:
    return appeals.appeal_file(
        actor=user,
        enterprise=case.enterprise,
        reasons=kwargs.pop("reasons", "超标系在线监测设备故障所致，已提供第三方比对监测报告。"),
        files=kwargs.pop("files", [pdf()]),
        downgrade_case=case,
        **kwargs,
    )


def decide(appeal, actor, outcome, grade=None, signers=None):
    return appeals.appeal_decide(
        actor=actor,
        appeal=appeal,
        outcome=outcome,
        grade=builders.grade(grade) if grade else None,
        summary="市级复核：比对监测报告显示排放达标。",
        conclusion="撤销降级，恢复B级。" if outcome == Outcome.CHANGE else "维持县级决定。",
        signers=signers or [actor],
    )


# --- Filing ----------------------------------------------------------------------------------


def test_r_rev_10_the_enterprise_appeals_within_the_set_days(downgraded, enterprise_user):
    [decision] = appeals.appealable_decisions(enterprise=downgraded.enterprise)
    assert decision.downgrade_case == downgraded
    assert decision.due_on == downgraded.decided_on + datetime.timedelta(days=15)
    appeal = file_appeal(enterprise_user, downgraded)
    assert appeal.number == f"FH{timezone.localdate().year}{appeal.pk:06d}"
    assert (appeal.stage, appeal.grade_contested.code, appeal.grade_earlier.code) == (
        Appeal.Stage.FILED,
        "C",
        "B",
    )
    assert appeal.files.get().sha256
    assert appeal.needs_panel is False
    # The grade does not change by the appeal.
    assert grade_of(downgraded.enterprise) == "C"
    assert appeals.appealable_decisions(enterprise=downgraded.enterprise) == []
    with pytest.raises(ValidationError):
        file_appeal(enterprise_user, downgraded)  # one appeal per decision


def test_r_rev_10_too_late_is_refused_and_the_days_are_a_setting(
    downgraded, enterprise_user, settings
):
    later = timezone.localtime() + datetime.timedelta(days=16)
    with time_machine.travel(later, tick=False):
        with pytest.raises(ValidationError) as exc:
            file_appeal(enterprise_user, downgraded)
        assert "决定作出之日起15日内" in " ".join(exc.value.messages)
        settings.GRADING = {**settings.GRADING, "APPEAL_DAYS": 30}
        assert file_appeal(enterprise_user, downgraded).due_on == (
            downgraded.decided_on + datetime.timedelta(days=30)
        )


def test_r_rev_10_only_the_enterprise_appeals_its_own_decisions_with_checked_files(
    downgraded, enterprise_user, county_user, city_user
):
    other = factories.enterprise_user(factories.enterprise(county="410184"))
    for outsider in (other, county_user, city_user):
        with pytest.raises(PermissionDenied):
            file_appeal(outsider, downgraded)
    with pytest.raises(ValidationError):
        file_appeal(enterprise_user, downgraded, reasons=" ")
    fake = SimpleUploadedFile("报告.pdf", b"%PDF-1.4 <html>not a pdf</html>")
    with pytest.raises(ValidationError):
        file_appeal(enterprise_user, downgraded, files=[fake])
    assert not Appeal.objects.exists()


def test_r_rev_10_the_countys_direct_grading_is_appealable(county_user, city_user):
    small = factories.enterprise(county="410184", industry="N31", is_small_micro=True)
    user = factories.enterprise_user(small)
    record = annual.county_direct_grade(
        actor=county_user,
        enterprise=small,
        industry=builders.industry("N31"),
        grade=builders.grade("D"),
        reason="现场核实",
    )
    [decision] = appeals.appealable_decisions(enterprise=small)
    assert decision.grade_record == record and decision.earlier is None
    appeal = appeals.appeal_file(
        actor=user, enterprise=small, reasons="已完成治理设施改造，应评为C级", grade_record=record
    )
    # No expert review behind the decision: the city may decide without a panel.
    decide(appeal, city_user, Outcome.CHANGE, grade="C")
    assert grade_of(small) == "C"
    assert GradeRecord.objects.get(enterprise=small, effective_to__isnull=True).source == (
        GradeRecord.Source.APPEAL
    )


# --- The city's re-review --------------------------------------------------------------------


def test_r_rev_10_the_grade_changes_only_when_the_city_signs(
    downgraded, enterprise_user, county_user, city_user, n31_expert
):
    appeal = file_appeal(enterprise_user, downgraded)
    with pytest.raises(PermissionDenied):
        decide(appeal, county_user, Outcome.UPHOLD)
    # The city chooses to form a panel: then the panel's opinion comes first.
    appeals.appeal_panel_assign(actor=city_user, appeal=appeal, experts=[n31_expert])
    with pytest.raises(ValidationError) as exc:
        decide(appeal, city_user, Outcome.CHANGE, grade="B")
    assert "须由复核专家组签署意见" in " ".join(exc.value.messages)
    appeals.appeal_review_sign(
        actor=n31_expert,
        appeal=appeal,
        outcome=Outcome.CHANGE,
        grade=builders.grade("B"),
        summary="比对监测报告可信。",
        conclusion="建议恢复B级。",
        signers=[n31_expert],
    )
    assert grade_of(downgraded.enterprise) == "C"  # a recommendation changes nothing
    # A is the province's to award; the city only restores the grade held before.
    with pytest.raises(ValidationError) as exc:
        decide(appeal, city_user, Outcome.CHANGE, grade="A")
    assert "只能恢复县级决定前的等级" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError) as exc:
        decide(appeal, city_user, Outcome.CHANGE, grade="B", signers=[city_user, n31_expert])
    assert "不能签署本复核决定" in " ".join(exc.value.messages)
    decide(appeal, city_user, Outcome.CHANGE, grade="B")
    appeal = Appeal.objects.get(pk=appeal.pk)
    assert (appeal.stage, appeal.outcome, appeal.grade.code) == (
        Appeal.Stage.DECIDED,
        Outcome.CHANGE,
        "B",
    )
    assert grade_of(downgraded.enterprise) == "B"
    record = GradeRecord.objects.get(enterprise=downgraded.enterprise, effective_to__isnull=True)
    assert (record.source, record.source_ref) == (GradeRecord.Source.APPEAL, appeal.number)
    assert CaseOpinionForm.objects.filter(opinion__appeal=appeal).count() == 2
    with pytest.raises(ValidationError):
        decide(appeal, city_user, Outcome.UPHOLD)


def test_r_rev_10_a_decision_after_an_expert_review_is_re_reviewed_by_a_panel(
    enterprise, enterprise_user, county_user, second_county_user, city_user, n31_expert
):
    grade_record_add(
        actor=None,
        enterprise=enterprise,
        industry=builders.industry("N31"),
        grade=builders.grade("B"),
        effective_from=datetime.date(2025, 6, 1),
        source=GradeRecord.Source.REVIEW,
    )
    case = downgrades.downgrade_case_open(
        actor=county_user,
        enterprise=enterprise,
        reason=DowngradeCase.Reason.INSPECTION,
        detail="检查发现问题",
        occurred_on=timezone.localdate(),
    )
    downgrades.downgrade_panel_assign(actor=city_user, case=case, experts=[n31_expert])
    downgrades.downgrade_second_review_sign(
        actor=n31_expert,
        case=case,
        outcome=DowngradeCase.Outcome.DOWNGRADE,
        grade=builders.grade("C"),
        summary="不满足B级要求。",
        conclusion="建议降为C级。",
        signers=[n31_expert],
    )
    downgrades.downgrade_decide(
        actor=county_user,
        case=case,
        outcome=DowngradeCase.Outcome.DOWNGRADE,
        grade=builders.grade("C"),
        summary="采纳专家意见。",
        conclusion="降为C级。",
        signers=[county_user, second_county_user],
    )
    appeal = file_appeal(enterprise_user, DowngradeCase.objects.get(pk=case.pk))
    assert appeal.needs_panel
    with pytest.raises(ValidationError):
        decide(appeal, city_user, Outcome.UPHOLD)
    # The expert of the second review does not sit on the re-review's signers... it may be
    # chosen for the panel, but does not sign the city's decision.
    other = builders.expert("N31", pool="410100")
    appeals.appeal_panel_assign(actor=city_user, appeal=appeal, experts=[other])
    appeals.appeal_review_sign(
        actor=other,
        appeal=appeal,
        outcome=Outcome.UPHOLD,
        summary="复核维持。",
        conclusion="维持C级。",
        signers=[other],
    )
    decide(appeal, city_user, Outcome.UPHOLD)
    assert grade_of(enterprise) == "C"
    assert Appeal.objects.get(pk=appeal.pk).grade.code == "C"


def test_r_rev_10_the_enterprise_sees_each_step_and_may_withdraw(
    downgraded, enterprise_user, county_user, city_user, n31_expert
):
    appeal = file_appeal(enterprise_user, downgraded)
    appeals.appeal_panel_assign(actor=city_user, appeal=appeal, experts=[n31_expert])
    codes = [n.code for n in enterprise_user.notifications.order_by("id")]
    assert "review.appeal.filed" in codes and "review.appeal.panel_assigned" in codes
    assert county_user.notifications.filter(code="review.appeal.filed").exists()
    with pytest.raises(PermissionDenied):
        appeals.appeal_withdraw(actor=city_user, appeal=appeal, reason="x")
    appeals.appeal_withdraw(actor=enterprise_user, appeal=appeal, reason="已与县局沟通")
    steps = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Appeal),
        object_id=str(appeal.pk),
        code__startswith="review.appeal",
    )
    assert list(steps.order_by("id").values_list("code", flat=True)) == [
        "review.appeal.filed",
        "review.appeal.panel_assigned",
        "review.appeal.withdrawn",
    ]
    with pytest.raises(ValidationError):
        decide(appeal, city_user, Outcome.UPHOLD)
    assert grade_of(downgraded.enterprise) == "C"


# --- End to end through the API and the pages ------------------------------------------------


def test_r_rev_10_an_appeal_end_to_end_through_the_api(
    downgraded, enterprise_user, city_user, other_county_user
):
    ent = client_for(enterprise_user)
    [decision] = ent.get(f"{APPEALS}appealable/").json()
    assert (decision["downgrade_case"], decision["grade"], decision["earlier"]) == (
        downgraded.pk,
        "C",
        "B",
    )
    assert client_for(city_user).get(f"{APPEALS}appealable/").status_code == 403
    filed = ent.post(
        APPEALS,
        {
            "downgrade_case": downgraded.pk,
            "reasons": "超标系监测设备故障所致",
            "files": [pdf("比对监测报告.pdf")],
        },
        format="multipart",
    )
    assert filed.status_code == 201, filed.json()
    appeal = filed.json()
    url = f"{APPEALS}{appeal['id']}/"
    assert appeal["files"][0]["name"] == "比对监测报告.pdf"
    assert [s["code"] for s in appeal["steps"]] == ["review.appeal.filed"]
    assert client_for(other_county_user).get(url).status_code == 404
    download = Client()
    download.force_login(enterprise_user)
    assert download.get(appeal["files"][0]["download_url"]).status_code == 200
    outsider = Client()
    outsider.force_login(other_county_user)
    assert outsider.get(appeal["files"][0]["download_url"]).status_code == 404

    city = client_for(city_user)
    refused = city.post(
        f"{url}decide/",
        {"outcome": "change", "grade": "A", "summary": "复核", "conclusion": "评为A级"},
        format="json",
    )
    assert refused.status_code == 400 and "省级认定" in messages(refused.json())
    decided = city.post(
        f"{url}decide/",
        {"outcome": "change", "grade": "B", "summary": "比对监测达标", "conclusion": "恢复B级"},
        format="json",
    )
    assert decided.status_code == 201, decided.json()
    shown = ent.get(url).json()
    assert (shown["stage"], shown["outcome"], shown["grade"]) == ("decided", "change", "B")
    assert [s["code"] for s in shown["steps"]] == ["review.appeal.filed", "review.appeal.decided"]
    assert (
        ent.get(f"/api/v1/enterprises/{downgraded.enterprise_id}/").json()["overall_grade"] == "B"
    )


def test_r_rev_10_the_pages_file_decide_and_show_the_steps(downgraded, enterprise_user, city_user):
    ent = Client()
    ent.force_login(enterprise_user)
    listing = ent.get("/review/appeals/").content.decode()
    assert downgraded.number in listing and "申请复核" in listing
    new_url = f"/review/appeals/new/?downgrade={downgraded.pk}"
    assert ent.get(new_url).status_code == 200
    response = ent.post(
        "/review/appeals/new/",
        {"downgrade": downgraded.pk, "reasons": "监测设备故障", "files": [pdf()]},
    )
    assert response.status_code == 302, response.content.decode()
    appeal = Appeal.objects.get()
    page_url = f"/review/appeals/{appeal.pk}/"
    assert response["Location"] == page_url
    page = ent.get(page_url).content.decode()
    assert "市级复核中" in page and "县级决定的等级在市级签署复核决定前不变" in page
    city = Client()
    city.force_login(city_user)
    assert ent.post(page_url, {"action": "decide"}).status_code == 403
    response = city.post(
        page_url,
        {
            "action": "decide",
            "d-outcome": "change",
            "d-grade": builders.grade("B").pk,
            "d-summary": "比对监测达标",
            "d-conclusion": "恢复B级",
            "d-signers": [city_user.pk],
        },
        follow=True,
    )
    assert "意见已签署" in response.content.decode()
    page = ent.get(page_url).content.decode()
    assert "已作出复核决定" in page and "市级复核决定" in page
    assert grade_of(downgraded.enterprise) == "B"
    other_city = Client()
    other_city.force_login(builders.city_staff("410200"))
    assert other_city.get(page_url).status_code == 404


def test_r_rev_10_the_citys_decision_is_rendered_as_a_form(
    downgraded, enterprise_user, city_user, django_capture_on_commit_callbacks, monkeypatch
):
    import re
    import subprocess
    from pathlib import Path

    monkeypatch.undo()
    appeal = file_appeal(enterprise_user, downgraded)
    with django_capture_on_commit_callbacks(execute=True):
        opinion = decide(appeal, city_user, Outcome.CHANGE, grade="B")
    form = CaseOpinionForm.objects.get(opinion=opinion)
    assert form.status == CaseOpinionForm.Status.READY, form.error
    out = subprocess.run(["pdftotext", form.file.path, "-"], capture_output=True, text=True)
    text = re.sub(r"\s+", "", out.stdout)
    for expected in (
        "绩效等级复核决定书",
        appeal.number,
        downgraded.enterprise.name,
        "县级决定等级",
        "申请复核的决定",
        f"降级处理决定{downgraded.number}",
        "企业申请理由",
        "复核情况",
        "复核决定",
        "变更绩效等级",
        city_user.display_name,
    ):
        assert expected in text, expected
    assert Path(form.file.path).name == f"{appeal.number}-{opinion.pk}-r1.pdf"
