"""The declaration's grade follows the industry's scheme in force (R-GRADE-1, R-GRADE-7):
B- may be declared in an industry whose scheme has it and is refused elsewhere, on the page,
in the API and in the service."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from declarations.forms import DeclarationCreateForm
from declarations.models import Declaration
from declarations.tests.api_support import BASE, client_for
from grading.models import EnterpriseIndustry, Industry
from tests import declaration_builders as builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def steel_and_printing(enterprise):
    EnterpriseIndustry.objects.create(
        enterprise=enterprise, industry=Industry.objects.get(code="N01")
    )
    return enterprise


def test_r_grade_1_b_minus_declared_in_an_industry_whose_scheme_has_it(
    steel_and_printing, enterprise_user
):
    d = builders.draft(enterprise_user, industry="N01", grade="B-")
    assert d.requested_grade.code == "B-" and d.indicator_set.scheme.code == "ABBCD"


def test_r_grade_1_b_minus_refused_in_an_industry_without_it(enterprise_user):
    with pytest.raises(ValidationError) as exc:
        builders.draft(enterprise_user, industry="N31", grade="B-")
    assert "不属于该行业的分级体系" in " ".join(exc.value.messages)
    assert not Declaration.objects.exists()


def test_r_grade_7_new_declaration_form_offers_and_checks_each_industrys_scheme(
    steel_and_printing, enterprise_user, client
):
    form = DeclarationCreateForm(enterprise=steel_and_printing)
    offered = {g.code for g in form.fields["requested_grade"].queryset}
    assert offered == {"A", "B", "B-", "C", "D"}
    assert "长流程联合钢铁：A级、B级、B-级、C级、D级" in form.fields["requested_grade"].help_text
    assert "包装印刷：A级、B级、C级、D级" in form.fields["requested_grade"].help_text

    client.force_login(enterprise_user)
    b_minus = form.fields["requested_grade"].queryset.get(code="B-")
    year = form.fields["year"].choices[0][0]
    post = {"year": year, "control_type": "grading", "requested_grade": b_minus.pk}
    page = client.post(
        reverse("declarations:new"), {**post, "industry": Industry.objects.get(code="N31").pk}
    )
    assert page.status_code == 200
    assert "包装印刷的分级体系为A级、B级、C级、D级，不含B-级" in page.content.decode()
    assert not Declaration.objects.exists()

    page = client.post(
        reverse("declarations:new"), {**post, "industry": Industry.objects.get(code="N01").pk}
    )
    assert page.status_code == 302
    assert Declaration.objects.get().requested_grade.code == "B-"


def test_r_grade_7_new_declaration_form_without_b_minus_offers_none(enterprise):
    form = DeclarationCreateForm(enterprise=enterprise)
    assert "B-" not in {g.code for g in form.fields["requested_grade"].queryset}


def test_r_grade_7_api_refuses_b_minus_outside_the_scheme(steel_and_printing, enterprise_user):
    api = client_for(enterprise_user)
    year = datetime.date.today().year
    body = {"industry": "N31", "year": year, "requested_grade": "B-"}
    refused = api.post(BASE, body, format="json")
    assert refused.status_code == 400 and "不属于该行业的分级体系" in str(refused.json())
    created = api.post(BASE, {**body, "industry": "N01"}, format="json")
    assert created.status_code == 201, created.json()
