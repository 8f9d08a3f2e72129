"""The improvement list's page and API (R-TGT-2): the county enters, others read their own."""

import datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from grading.models import GradeRecord, IndicatorCategory
from publication.models import ImprovementEntry
from publication.tests import builders
from tests import factories

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def c_enterprise():
    ent = factories.enterprise(county="410184", name="新郑市甲包装有限公司")
    builders.decided(ent, "C", source=GradeRecord.Source.IMPORT)
    return ent


def form_data(ent, **extra):
    return {
        "uscc": ent.uscc,
        "industry": ent.industries.get().industry.pk,
        "target_grade": builders.grade("B").pk,
        "indicator": IndicatorCategory.objects.order_by("seq").first().pk,
        "problem": "无组织排放收集不足",
        "measures": "车间密闭，增设集气罩",
        "due_on": datetime.date(2026, 12, 31).isoformat(),
        **extra,
    }


def test_the_county_enters_from_its_page(county_user, other_county_user, city_user, c_enterprise):
    response = client_for(county_user).post("/publication/improvement/", form_data(c_enterprise))
    assert response.status_code == 302
    assert ImprovementEntry.objects.get().created_by == county_user
    again = client_for(county_user).post("/publication/improvement/", form_data(c_enterprise))
    assert "已列入绩效提升清单" in again.content.decode()
    other = client_for(other_county_user).post("/publication/improvement/", form_data(c_enterprise))
    assert "本辖区没有该统一社会信用代码的企业" in other.content.decode()
    assert (
        "新郑市甲包装有限公司"
        not in client_for(other_county_user).get("/publication/improvement/").content.decode()
    )
    city_page = client_for(city_user).get("/publication/improvement/").content.decode()
    assert "新郑市甲包装有限公司" in city_page and 'id="improvement-form"' not in city_page
    assert client_for(city_user).post("/publication/improvement/", {}).status_code == 403


def test_the_api_answers_the_same(county_user, other_county_user, enterprise_user, c_enterprise):
    api = APIClient()
    api.force_authenticate(county_user)
    body = {
        "uscc": c_enterprise.uscc,
        "industry": "N31",
        "target_grade": "B",
        "indicator": IndicatorCategory.objects.order_by("seq").first().code,
        "problem": "治理设施效率低",
        "measures": "更换活性炭",
        "due_on": "2026-12-31",
    }
    assert api.post("/api/v1/publication/improvement/", body, format="json").status_code == 201
    assert len(api.get("/api/v1/publication/improvement/").json()["results"]) == 1
    other = APIClient()
    other.force_authenticate(other_county_user)
    assert other.get("/api/v1/publication/improvement/").json()["results"] == []
    assert other.post("/api/v1/publication/improvement/", body, format="json").status_code == 400
    ent_api = APIClient()
    ent_api.force_authenticate(enterprise_user)
    assert ent_api.get("/api/v1/publication/improvement/").status_code == 403
