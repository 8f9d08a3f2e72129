"""Reads of the review chain are scoped to who asks; outside reach is a 404."""

import pytest
from django.http import Http404

from review.models import ReviewCase
from review.selectors.cases import case_get, case_list
from review.tests import builders
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


@pytest.fixture
def cases(enterprise_user, other_enterprise, county_user, other_county_user, city_user):
    """新郑市 (at the city, with a panel), 中牟县 (at the county), 开封市龙亭区 (at the county)."""
    xinzheng = builders.open_case(county_user, builders.submitted(enterprise_user, grade="B"))
    builders.county_recommend(xinzheng, [county_user, builders.county_staff("410184")])
    member = builders.expert("N31")
    builders.panel_form(builders.refresh(xinzheng), city_user, [member])

    zhongmu_user = factories.enterprise_user(other_enterprise)
    zhongmu = builders.open_case(
        other_county_user, builders.submitted(zhongmu_user, grade="B", industry="N15")
    )
    kaifeng_user = factories.enterprise_user(factories.enterprise(county="410202"))
    kaifeng = builders.open_case(
        builders.county_staff("410202"), builders.submitted(kaifeng_user, grade="C")
    )
    return {
        "xinzheng": builders.refresh(xinzheng),
        "zhongmu": zhongmu,
        "kaifeng": kaifeng,
        "member": member,
        "zhongmu_user": zhongmu_user,
    }


def seen(viewer, **kwargs) -> set[int]:
    return set(case_list(viewer=viewer, **kwargs).values_list("pk", flat=True))


def test_case_list_is_scoped_to_the_viewers_jurisdiction(
    cases, county_user, other_county_user, city_user, province_user
):
    xinzheng, zhongmu, kaifeng = cases["xinzheng"].pk, cases["zhongmu"].pk, cases["kaifeng"].pk
    assert seen(county_user) == {xinzheng}
    assert seen(other_county_user) == {zhongmu}
    assert seen(city_user) == {xinzheng, zhongmu}
    assert seen(builders.city_staff("410200")) == {kaifeng}
    assert seen(province_user) == {xinzheng, zhongmu, kaifeng}
    assert seen(province_user, stage=ReviewCase.Stage.CITY) == {xinzheng}
    assert seen(city_user, stage=ReviewCase.Stage.COUNTY) == {zhongmu}


def test_experts_see_only_the_cases_of_their_panels(cases):
    member = cases["member"]
    assert seen(member) == {cases["xinzheng"].pk}
    assert seen(builders.expert("N31")) == set()
    member.is_active = False
    member.save()
    assert seen(member) == set()


def test_an_enterprise_sees_only_its_own_cases(cases, enterprise_user):
    assert seen(enterprise_user) == {cases["xinzheng"].pk}
    assert seen(cases["zhongmu_user"]) == {cases["zhongmu"].pk}


def test_case_get_outside_reach_is_404_like_a_missing_case(
    cases, county_user, other_county_user, enterprise_user
):
    xinzheng = cases["xinzheng"]
    assert case_get(viewer=county_user, pk=xinzheng.pk) == xinzheng
    for viewer, pk in (
        (other_county_user, xinzheng.pk),
        (builders.city_staff("410200"), xinzheng.pk),
        (enterprise_user, cases["zhongmu"].pk),
        (builders.expert("N31"), xinzheng.pk),
        (county_user, 999999999),
        (county_user, "abc"),
    ):
        with pytest.raises(Http404):
            case_get(viewer=viewer, pk=pk)
