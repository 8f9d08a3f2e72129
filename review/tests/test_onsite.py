"""On-site verification (现场核查意见, R-REV-3) by the case's panel, and the follow-up of the
rectifications it requires (R-DECL-6)."""

import datetime
import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from review.models import IndicatorOpinion, Opinion, Rectification, ReviewCase
from review.services import onsite
from review.tests import builders
from review.tests.builders import D
from tests import declaration_builders, factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


@pytest.fixture
def n31_expert(db):
    return builders.expert("N31", pool="410100")


@pytest.fixture
def at_city(enterprise_user, county_user, city_user, n31_expert):
    """A B case at the city with its panel formed."""
    second = builders.county_staff("410184")
    case = builders.open_case(county_user, builders.submitted(enterprise_user, grade="B"))
    builders.county_recommend(case, [county_user, second])
    case = builders.refresh(case)
    builders.panel_form(case, city_user, [n31_expert])
    return case


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def record(case, actor, **kwargs):
    defaults = {
        "visited_on": timezone.localdate(),
        "recommended_grade": builders.grade("B"),
        "summary": "现场核查：生产线与申报一致",
        "conclusion": "建议认定为B级",
        "signers": [actor],
    }
    return onsite.onsite_record(actor=actor, case=case, **{**defaults, **kwargs})


def test_r_rev_3_onsite_record_holds_findings_photos_and_rectifications(
    at_city, city_user, n31_expert
):
    rows = list(at_city.declaration.indicator_rows.filter(applicable=True).order_by("seq"))
    due = timezone.localdate() + datetime.timedelta(days=30)
    verification = record(
        at_city,
        n31_expert,
        signers=[n31_expert, city_user],
        findings={
            rows[0].pk: (IndicatorOpinion.Verdict.MEETS, "油墨台账齐全"),
            rows[1].pk: (IndicatorOpinion.Verdict.NOT_MEETS, " 集气罩未全覆盖 "),
        },
        rectifications=[("加装集气罩", due), ("完善油墨台账", due)],
        photos=[(builders.png_upload("车间.png"), "印刷车间"), (builders.png_upload(), "")],
    )
    opinion = verification.opinion
    assert (opinion.kind, opinion.decision) == (Opinion.Kind.ON_SITE, Opinion.Decision.FINDINGS)
    assert opinion.grade.code == "B" and opinion.signed_by == n31_expert
    assert set(opinion.signers.all()) == {n31_expert, city_user}
    assert verification.visited_on == timezone.localdate()
    assert verification.recommended_grade.code == "B"
    findings = {i.indicator_row_id: (i.verdict, i.text) for i in opinion.indicators.all()}
    assert findings == {
        rows[0].pk: ("meets", "油墨台账齐全"),
        rows[1].pk: ("not_meets", "集气罩未全覆盖"),
    }
    assert [(r.requirement, r.status) for r in verification.rectifications.all()] == [
        ("加装集气罩", Rectification.Status.OPEN),
        ("完善油墨台账", Rectification.Status.OPEN),
    ]
    photos = list(verification.photos.order_by("id"))
    assert [p.caption for p in photos] == ["印刷车间", "现场.png"]
    digest = hashlib.sha256(builders.png_bytes()).hexdigest()
    for photo in photos:
        assert (photo.content_type, photo.extension, photo.sha256) == ("image/png", ".png", digest)
        assert Path(photo.file.path).read_bytes() == builders.png_bytes()
        assert photo.uploaded_by == n31_expert
    # The enterprise is told what to rectify; the case stays at the city.
    assert (
        at_city.declaration.enterprise.users.get()
        .notifications.filter(code="review.onsite.rectification")
        .exists()
    )
    assert builders.refresh(at_city).stage == ReviewCase.Stage.CITY


def test_r_rev_3_onsite_photo_must_be_an_image(at_city, n31_expert):
    pdf = SimpleUploadedFile("照片.png", declaration_builders.pdf_bytes(), "image/png")
    with pytest.raises(ValidationError) as exc:
        record(at_city, n31_expert, photos=[(pdf, "伪装的照片")])
    assert "仅支持 JPG、PNG" in messages(exc)
    text = SimpleUploadedFile("照片.png", "不是图片".encode(), "image/png")
    with pytest.raises(ValidationError):
        record(at_city, n31_expert, photos=[(text, "文本")])
    assert not at_city.verifications.exists()
    assert not at_city.opinions.filter(kind=Opinion.Kind.ON_SITE).exists()


def test_r_rev_3_onsite_date_in_the_future_is_refused(at_city, n31_expert):
    with pytest.raises(ValidationError) as exc:
        record(at_city, n31_expert, visited_on=timezone.localdate() + datetime.timedelta(days=1))
    assert "核查日期不能晚于今天" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        record(at_city, n31_expert, visited_on=timezone.localdate() - datetime.timedelta(days=400))
    assert "不能早于申报提交日期" in messages(exc)


def test_r_rev_3_onsite_signers_must_include_a_panel_member(at_city, city_user, n31_expert):
    with pytest.raises(ValidationError) as exc:
        record(at_city, city_user, signers=[city_user])
    assert "须由专家组成员签署" in messages(exc)
    outsider = builders.expert("N31")
    with pytest.raises(ValidationError) as exc:
        record(at_city, n31_expert, signers=[n31_expert, outsider])
    assert "不是本案专家组成员或市级工作人员" in messages(exc)
    with pytest.raises(PermissionDenied):
        record(at_city, outsider, signers=[n31_expert])
    # City staff may record what the panel signed.
    verification = record(at_city, city_user, signers=[n31_expert, city_user])
    assert verification.opinion.signed_by == city_user


def test_r_rev_3_onsite_needs_a_formed_panel_at_the_city_stage(
    enterprise_user, county_user, city_user, n31_expert
):
    case = builders.open_case(county_user, builders.submitted(enterprise_user, grade="B"))
    with pytest.raises(ValidationError) as exc:
        record(case, n31_expert)
    assert "市级审核阶段" in messages(exc)


def test_r_rev_3_onsite_grade_and_rectification_due_are_checked(at_city, n31_expert):
    with pytest.raises(ValidationError) as exc:
        record(at_city, n31_expert, recommended_grade=builders.grade("B-"))
    assert "不属于该行业的分级体系" in messages(exc)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        record(at_city, n31_expert, rectifications=[("加装集气罩", yesterday)])
    assert "整改期限不能早于核查日期" in messages(exc)


def test_r_decl_6_enterprise_reports_and_panel_or_city_verifies(
    at_city, enterprise_user, city_user, n31_expert
):
    due = timezone.localdate() + datetime.timedelta(days=10)
    verification = record(
        at_city, n31_expert, rectifications=[("加装集气罩", due), ("完善台账", due)]
    )
    first, second = verification.rectifications.order_by("id")

    with pytest.raises(ValidationError) as exc:
        onsite.rectification_verify(actor=city_user, rectification=first, note="已核实")
    assert "企业尚未填报整改情况" in messages(exc)
    stranger = factories.enterprise_user(factories.enterprise(county="410184", industry="N31"))
    for actor in (stranger, city_user):
        with pytest.raises(PermissionDenied):
            onsite.rectification_report(actor=actor, rectification=first, note="已整改")
    with pytest.raises(ValidationError):
        onsite.rectification_report(actor=enterprise_user, rectification=first, note=" ")

    onsite.rectification_report(actor=enterprise_user, rectification=first, note="已加装")
    onsite.rectification_report(actor=enterprise_user, rectification=second, note="已完善")
    first.refresh_from_db()
    assert (first.status, first.enterprise_note) == (Rectification.Status.DONE, "已加装")

    outsider = builders.expert("N31")
    with pytest.raises(PermissionDenied):
        onsite.rectification_verify(actor=outsider, rectification=first, note="已核实")
    onsite.rectification_verify(actor=n31_expert, rectification=first, note="现场复核已加装")
    first.refresh_from_db()
    assert first.status == Rectification.Status.VERIFIED
    assert (first.followed_up_by, first.follow_up_note) == (n31_expert, "现场复核已加装")
    assert first.followed_up_at is not None
    with pytest.raises(ValidationError):
        onsite.rectification_report(actor=enterprise_user, rectification=first, note="再次填报")

    # Forwarding waits for every rectification to be verified.
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_city, city_user, D.FORWARD, grade_code="B")
    assert "尚有1项未核实" in messages(exc)
    onsite.rectification_verify(actor=city_user, rectification=second, note="台账已完善")
    builders.sign(at_city, city_user, D.FORWARD, grade_code="B")
    assert builders.refresh(at_city).stage == ReviewCase.Stage.PROVINCE
