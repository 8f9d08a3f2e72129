"""Opening and filling in a declaration: what the drafting services allow and refuse
(R-DECL-1, R-ELIG-6, R-GRADE-7 on grades, the owner-only rule)."""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from declarations.models import Declaration
from declarations.services import drafting, tables
from declarations.tests.helpers import SHANGHAI, events, messages
from grading.models import (
    Grade,
    IndicatorCategory,
    IndicatorRequirement,
    Industry,
)
from tests import declaration_builders as builders
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_and_eager")]


# --- R-DECL-1: open all year, free ----------------------------------------------------------


@pytest.mark.parametrize("month,day", [(3, 1), (12, 28)])
def test_r_decl_1_declarations_are_open_all_year(time_machine, enterprise_user, month, day):
    time_machine.move_to(datetime.datetime(2025, month, day, 9, 30, tzinfo=SHANGHAI), tick=False)
    this_year = builders.draft(enterprise_user, grade="B")
    assert this_year.year == 2025
    assert this_year.status == Declaration.Status.DRAFT
    assert this_year.number == f"SB2025{this_year.pk:06d}"
    next_year = builders.draft(enterprise_user, grade="B", year=2026)
    assert next_year.year == 2026
    for year in (2027, 2024):
        with pytest.raises(ValidationError) as exc:
            builders.draft(enterprise_user, grade="B", year=year)
        assert "只能申报本年度或下一年度" in messages(exc)


def test_r_decl_1_r_elig_6_grading_is_free_no_fee_field():
    for model in apps.get_app_config("declarations").get_models():
        for field in model._meta.get_fields():
            verbose = str(getattr(field, "verbose_name", ""))
            assert "fee" not in field.name.lower(), (model, field.name)
            assert "费" not in verbose, (model, field.name)


def test_one_open_declaration_per_enterprise_industry_and_year(enterprise_user):
    first = builders.draft(enterprise_user, grade="B")
    with pytest.raises(ValidationError) as exc:
        builders.draft(enterprise_user, grade="C")
    assert "已有申报" in messages(exc)
    assert Declaration.objects.filter(enterprise=first.enterprise).count() == 1
    # A rejected one no longer blocks a new declaration.
    Declaration.objects.filter(pk=first.pk).update(status=Declaration.Status.REJECTED)
    assert builders.draft(enterprise_user, grade="C").pk != first.pk


def test_declaration_is_created_from_the_enterprise_master_data(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    assert d.indicator_set.industry.code == "N31"
    assert d.industry_code == "2319"
    assert d.indicator_rows.count() > 0
    assert events(d, "declaration.created")[0].actor == enterprise_user


def test_only_the_enterprises_own_users_create_and_update(
    enterprise, enterprise_user, other_user, county_user
):
    for actor in (other_user, county_user):
        with pytest.raises(PermissionDenied):
            drafting.declaration_create(
                actor=actor,
                enterprise=enterprise,
                industry=Industry.objects.get(code="N31"),
                year=timezone.localdate().year,
                control_type="grading",
                requested_grade=Grade.objects.get(code="B"),
            )
    d = builders.draft(enterprise_user, grade="B")
    with pytest.raises(PermissionDenied):
        drafting.declaration_update(actor=other_user, declaration=d, data={"address": "别处"})
    with pytest.raises(PermissionDenied):
        tables.declaration_table_save(actor=other_user, declaration=d, table="materials", rows=[])
    with pytest.raises(PermissionDenied):
        drafting.evidence_upload(
            actor=other_user,
            declaration=d,
            upload=builders.pdf_upload(),
            title="x",
            section="basic",
        )
    assert Declaration.objects.get(pk=d.pk).address == enterprise.address


def test_an_industry_not_registered_for_the_enterprise_is_refused(enterprise_user):
    with pytest.raises(ValidationError) as exc:
        builders.draft(enterprise_user, industry="N15", grade="B")
    assert "请先在企业信息中登记该行业" in messages(exc)


def test_grade_outside_the_scheme_is_refused(enterprise_user):
    with pytest.raises(ValidationError) as exc:
        builders.draft(enterprise_user, grade="B-")
    assert "不属于该行业的分级体系" in exc.value.message_dict["requested_grade"][0]
    d = builders.draft(enterprise_user, grade="B")
    with pytest.raises(ValidationError):
        drafting.declaration_update(
            actor=enterprise_user,
            declaration=d,
            data={"requested_grade": Grade.objects.get(code="LEAD")},
        )
    assert Declaration.objects.get(pk=d.pk).requested_grade.code == "B"


def test_leading_control_type_requires_the_leading_grade(enterprise_user):
    with pytest.raises(ValidationError) as exc:
        builders.draft(enterprise_user, grade="B", control_type="leading")
    assert "绩效引领性" in exc.value.message_dict["control_type"][0]
    ent = factories.enterprise(industry="HN01")
    user = factories.enterprise_user(ent)
    with pytest.raises(ValidationError):
        builders.draft(user, industry="HN01", grade="LEAD", control_type="grading")
    d = builders.draft(user, industry="HN01", grade="LEAD", control_type="leading")
    assert d.requested_grade.code == "LEAD"


def test_changing_the_grade_regenerates_requirements_but_keeps_statements(enterprise_user):
    d = builders.draft(enterprise_user, grade="B")
    raw = IndicatorCategory.objects.get(code="raw_materials")
    row = d.indicator_rows.get(category=raw)

    def text(grade):
        return IndicatorRequirement.objects.get(
            indicator_set=d.indicator_set, category=raw, grade__code=grade
        ).text

    assert row.requirement == text("B")
    drafting.indicator_row_update(
        actor=enterprise_user, row=row, applicable=True, statement="水性油墨占比65%", meets=True
    )
    drafting.declaration_update(
        actor=enterprise_user,
        declaration=d,
        data={"requested_grade": Grade.objects.get(code="A")},
    )
    row.refresh_from_db()
    assert row.requirement == text("A") != text("B")
    assert row.statement == "水性油墨占比65%"
    assert row.meets is True
