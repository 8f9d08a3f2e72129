"""Who signs a review decision (R-REV-5): the group's signatures, four-eyes, corrections as
new signed entries, and jurisdiction."""

import inspect

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from core.models import AuditEvent
from grading.models import Region, User
from review.models import Opinion, ReviewCase
from review.selectors.cases import case_get
from review.services import annual, decisions, onsite, panels, sampling
from review.tests import builders
from review.tests.builders import D, snapshot
from tests import factories

pytestmark = pytest.mark.django_db

Stage = ReviewCase.Stage


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


def messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


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
