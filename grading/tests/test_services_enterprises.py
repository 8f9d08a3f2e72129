from datetime import date

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEvent
from grading.models import Enterprise, Grade, Industry, Region, User
from grading.services.enterprises import IndustryEntry, enterprise_create, enterprise_update
from grading.services.grades import enterprise_managed_grade, grade_record_add
from tests import factories

pytestmark = pytest.mark.django_db


def _data(county="410184", **extra):
    return {
        "name": "新郑市测试化工有限公司",
        "uscc": factories.valid_uscc(county),
        "county": Region.objects.get(code=county),
        **extra,
    }


def _entries(*codes):
    return [IndustryEntry(industry=Industry.objects.get(code=c)) for c in codes]


def test_county_user_registers_enterprise_in_own_county(county_user):
    ent = enterprise_create(actor=county_user, data=_data(), industries=_entries("N31"))
    assert ent.county.code == "410184"
    assert ent.industries.get().is_main
    event = AuditEvent.objects.get(code="enterprise.created", object_id=str(ent.pk))
    assert event.actor == county_user


def test_county_user_cannot_register_in_another_county(county_user):
    with pytest.raises(ValidationError) as exc:
        enterprise_create(actor=county_user, data=_data("410122"), industries=_entries("N31"))
    assert "管辖范围" in exc.value.message_dict["county"][0]
    assert not Enterprise.objects.exists()


def test_city_level_unit_with_counties_cannot_hold_enterprises(province_user):
    with pytest.raises(ValidationError) as exc:
        enterprise_create(actor=province_user, data=_data("410100"), industries=_entries("N31"))
    assert "县（市、区）" in exc.value.message_dict["county"][0]


def test_duplicate_uscc_refused_without_saying_where(county_user, other_county_user):
    first = enterprise_create(actor=county_user, data=_data(), industries=_entries("N31"))
    data = _data("410122", uscc=first.uscc, name="另一家")
    with pytest.raises(ValidationError) as exc:
        enterprise_create(actor=other_county_user, data=data, industries=_entries("N31"))
    message = exc.value.message_dict["uscc"][0]
    assert "已登记" in message and "新郑" not in message
    assert Enterprise.objects.count() == 1


def test_invalid_uscc_refused_and_nothing_saved(county_user):
    bad = factories.valid_uscc("410184")
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        enterprise_create(actor=county_user, data=_data(uscc=bad), industries=_entries("N31"))
    assert "校验位" in exc.value.message_dict["uscc"][0]
    assert not Enterprise.objects.exists()
    assert not AuditEvent.objects.filter(code="enterprise.created").exists()


def test_enterprise_needs_an_industry_and_no_duplicates(county_user):
    with pytest.raises(ValidationError):
        enterprise_create(actor=county_user, data=_data(), industries=[])
    with pytest.raises(ValidationError):
        enterprise_create(actor=county_user, data=_data(), industries=_entries("N31", "N31"))
    assert not Enterprise.objects.exists()


def test_r_grade_4_main_industry_is_the_one_with_largest_emissions(county_user):
    entries = _entries("N31", "N15")
    entries[1].nox_tpa = 120
    entries[0].vocs_tpa = 15
    ent = enterprise_create(actor=county_user, data=_data(), industries=entries)
    assert ent.industries.get(is_main=True).industry.code == "N15"
    entries[0].vocs_tpa = 500
    enterprise_update(actor=county_user, enterprise=ent, data={}, industries=entries)
    assert ent.industries.get(is_main=True).industry.code == "N31"


def test_r_grade_4_overall_grade_is_the_worst_industry_grade(county_user):
    ent = factories.enterprise(industry=["N31", "N15"])
    n31, n15 = Industry.objects.get(code="N31"), Industry.objects.get(code="N15")
    a, c = Grade.objects.get(code="A"), Grade.objects.get(code="C")
    grade_record_add(
        actor=county_user,
        enterprise=ent,
        industry=n31,
        grade=a,
        effective_from=date(2026, 10, 1),
        source="review",
    )
    ent.refresh_from_db()
    # The other industry has no grade yet: it counts at its scheme's lowest (D).
    assert ent.overall_grade.code == "D"
    grade_record_add(
        actor=county_user,
        enterprise=ent,
        industry=n15,
        grade=c,
        effective_from=date(2026, 10, 1),
        source="review",
    )
    ent.refresh_from_db()
    assert ent.overall_grade.code == "C"
    grade_record_add(
        actor=county_user,
        enterprise=ent,
        industry=n15,
        grade=a,
        effective_from=date(2026, 11, 1),
        source="review",
        reason="整改后复评",
    )
    ent.refresh_from_db()
    assert ent.overall_grade.code == "A"
    history = list(ent.grade_records.filter(industry=n15).order_by("effective_from"))
    assert [r.grade.code for r in history] == ["C", "A"]
    assert history[0].effective_to == date(2026, 10, 31) and history[1].effective_to is None


def test_r_grade_4_leading_industry_with_b_industry_is_b(county_user):
    ent = factories.enterprise(industry=["HN01", "N31"])
    grade_record_add(
        actor=county_user,
        enterprise=ent,
        industry=Industry.objects.get(code="HN01"),
        grade=Grade.objects.get(code="LEAD"),
        effective_from=date(2026, 1, 1),
        source="review",
    )
    grade_record_add(
        actor=county_user,
        enterprise=ent,
        industry=Industry.objects.get(code="N31"),
        grade=Grade.objects.get(code="B"),
        effective_from=date(2026, 1, 1),
        source="review",
    )
    ent.refresh_from_db()
    assert ent.overall_grade.code == "B"


def test_grade_outside_the_industry_scheme_is_refused(county_user):
    ent = factories.enterprise(industry="HN01")  # 商品混凝土: 引领性/非引领性
    with pytest.raises(ValidationError) as exc:
        grade_record_add(
            actor=county_user,
            enterprise=ent,
            industry=Industry.objects.get(code="HN01"),
            grade=Grade.objects.get(code="B"),
            effective_from=date(2026, 1, 1),
            source="review",
        )
    assert "分级体系" in exc.value.message_dict["grade"][0]
    assert not ent.grade_records.exists()


def test_r_elig_4_enterprise_without_grade_is_managed_at_lowest_grade():
    ent = factories.enterprise(industry="N31")
    assert ent.overall_grade is None
    assert enterprise_managed_grade(ent).code == "D"
    leading = factories.enterprise(industry="HN01")
    assert enterprise_managed_grade(leading).code == "NONLEAD"


def test_r_decl_5_confidential_flag_is_kept_and_shown(client, county_user):
    ent = factories.enterprise(industry="N31", is_confidential=True)
    assert Enterprise.objects.get(pk=ent.pk).is_confidential
    client.force_login(county_user)
    page = client.get(f"/enterprises/{ent.pk}/").content.decode()
    assert "涉密，不对外公开" in page


def test_update_records_changed_fields(county_user, enterprise):
    enterprise_update(actor=county_user, enterprise=enterprise, data={"address": "新郑市新地址1号"})
    event = AuditEvent.objects.filter(code="enterprise.updated").latest("at")
    assert event.data["changes"]["address"][1] == "新郑市新地址1号"
    assert event.actor == county_user


def test_update_cannot_move_enterprise_out_of_jurisdiction(county_user, enterprise):
    with pytest.raises(ValidationError):
        enterprise_update(
            actor=county_user,
            enterprise=enterprise,
            data={"county": Region.objects.get(code="410122")},
        )
    enterprise.refresh_from_db()
    assert enterprise.county.code == "410184"


def test_industry_with_grade_history_cannot_be_removed(county_user):
    ent = factories.enterprise(industry=["N31", "N15"])
    grade_record_add(
        actor=county_user,
        enterprise=ent,
        industry=Industry.objects.get(code="N15"),
        grade=Grade.objects.get(code="C"),
        effective_from=date(2026, 1, 1),
        source="review",
    )
    with pytest.raises(ValidationError):
        enterprise_update(actor=county_user, enterprise=ent, data={}, industries=_entries("N31"))
    assert ent.industries.count() == 2


def test_staff_user_requires_matching_region():
    with pytest.raises(ValidationError):
        factories.staff_user(User.Role.CITY, "410184")
    with pytest.raises(ValidationError):
        factories.staff_user(User.Role.COUNTY, "410100")
    jiyuan = factories.staff_user(User.Role.COUNTY, "419001")
    assert jiyuan.region.reviews_as_county
