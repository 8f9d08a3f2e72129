"""Each industry's own scheme (R-GRADE-1, R-GRADE-7): schemes per industry and guideline
version are data; B- exists only where the industry's scheme in force has it, and every grade
field, filter and drop-down offers only those grades."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from grading.admin import IndicatorSetForm
from grading.models import Grade, GradeRecord, GradeScheme, IndicatorSet, Industry
from grading.selectors import indicator_set_in_force, scheme_grades
from grading.services.grades import grade_record_add
from tests import factories

pytestmark = pytest.mark.django_db


def codes(grades) -> list[str]:
    return [g.code for g in grades]


def test_r_grade_7_seeded_schemes_per_industry_and_version():
    """Henan's 2021 revision gives steel B- (seed 000 二 "B（含B-）"); the national 2020 set
    stays A/B/C/D; 铸造 and 包装印刷 keep the A/B/C/D tables retrieved for them."""
    today = datetime.date.today()
    steel = Industry.objects.get(code="N01")
    assert indicator_set_in_force(industry=steel, on=today).scheme.code == "ABBCD"
    assert IndicatorSet.objects.get(industry=steel, guideline_version__code="2020").scheme.code == (
        "ABCD"
    )
    assert codes(scheme_grades(industry=steel)) == ["A", "B", "B-", "C", "D"]
    for code in ("N06", "N31"):
        assert codes(scheme_grades(industry=Industry.objects.get(code=code))) == [
            "A",
            "B",
            "C",
            "D",
        ]
    assert codes(scheme_grades(industry=Industry.objects.get(code="HN01"))) == ["LEAD", "NONLEAD"]
    # 2026 guidance's A+ is a scheme the administrator can give an industry.
    assert codes(GradeScheme.objects.get(code="APABCD").ordered_grades())[:2] == ["A+", "A"]


def _record(enterprise, industry: str, grade: str):
    return grade_record_add(
        actor=None,
        enterprise=enterprise,
        industry=Industry.objects.get(code=industry),
        grade=Grade.objects.get(code=grade),
        effective_from=datetime.date.today(),
        source=GradeRecord.Source.REVIEW,
    )


def test_r_grade_1_b_minus_is_awarded_where_the_scheme_has_it():
    ent = factories.enterprise(county="410184", industry="N01")
    _record(ent, "N01", "B-")
    ent.refresh_from_db()
    assert ent.overall_grade.code == "B-"


def test_r_grade_1_b_minus_is_refused_where_the_scheme_lacks_it():
    ent = factories.enterprise(county="410184", industry="N31")
    with pytest.raises(ValidationError) as exc:
        _record(ent, "N31", "B-")
    assert "不属于该行业的分级体系" in " ".join(exc.value.messages)
    assert not GradeRecord.objects.filter(enterprise=ent).exists()


def test_r_grade_7_enterprise_filter_offers_the_chosen_industrys_grades(client, county_user):
    steel = factories.enterprise(county="410184", industry="N01")
    printer = factories.enterprise(county="410184", industry="N31")
    _record(steel, "N01", "B-")
    _record(printer, "N31", "B")
    client.force_login(county_user)
    url = reverse("enterprise-list")

    page = client.get(url, {"industry": Industry.objects.get(code="N31").pk})
    offered = [c[0] for c in page.context["form"].fields["grade"].choices]
    assert "B-" not in offered and "B" in offered and "LEAD" not in offered

    steel_pk = Industry.objects.get(code="N01").pk
    page = client.get(url, {"industry": steel_pk, "grade": "B-"})
    assert "B-" in [c[0] for c in page.context["form"].fields["grade"].choices]
    assert [e.pk for e in page.context["page"]] == [steel.pk]
    # Without an industry, every grade some scheme in force has.
    offered = [c[0] for c in client.get(url).context["form"].fields["grade"].choices]
    assert {"A", "B", "B-", "C", "D", "LEAD", "ADV"} <= set(offered)


def test_r_grade_7_api_refuses_a_grade_outside_the_industrys_scheme(county_user):
    steel = factories.enterprise(county="410184", industry="N01")
    _record(steel, "N01", "B-")
    api = APIClient()
    api.force_authenticate(county_user)
    refused = api.get("/api/v1/enterprises/", {"industry": "N31", "grade": "B-"})
    assert refused.status_code == 400
    assert "不属于包装印刷的分级体系" in str(refused.json())
    found = api.get("/api/v1/enterprises/", {"industry": "N01", "grade": "B-"})
    assert found.status_code == 200
    assert [e["id"] for e in found.json()["results"]] == [steel.pk]


def test_r_grade_7_administrator_cannot_give_a_set_a_scheme_its_texts_do_not_fit():
    printing = IndicatorSet.objects.get(industry__code="N31", guideline_version__code="2021-supp")
    lead = GradeScheme.objects.get(code="LEAD")
    data = {
        "industry": printing.industry_id,
        "guideline_version": printing.guideline_version_id,
        "scheme": lead.pk,
        "effective_from": printing.effective_from,
    }
    form = IndicatorSetForm(data, instance=printing)
    assert not form.is_valid() and "所选分级体系不含这些等级" in str(form.errors["scheme"])
    data["scheme"] = GradeScheme.objects.get(code="ABBCD").pk
    assert IndicatorSetForm(data, instance=printing).is_valid()
