import pytest
from rest_framework.test import APIClient

from core.models import AuditEvent
from grading.models import Enterprise
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(county_user):
    client = APIClient()
    client.force_authenticate(county_user)
    return client


def test_regions_endpoint_shape(api):
    body = api.get("/api/v1/regions/", {"level": "city", "page_size": 100}).json()
    assert body["count"] == 18
    zhengzhou = next(r for r in body["results"] if r["code"] == "410100")
    assert zhengzhou == {
        "code": "410100",
        "name": "郑州市",
        "level": "city",
        "kind": "地级市",
        "parent": "410000",
        "reviews_as_county": False,
    }
    counties = api.get("/api/v1/regions/", {"parent": "410100", "page_size": 100}).json()
    assert counties["count"] == 12


def test_industries_endpoint_has_category_and_scheme(api):
    body = api.get("/api/v1/industries/", {"page_size": 100}).json()
    by_code = {r["code"]: r for r in body["results"]}
    assert by_code["N31"]["name"] == "包装印刷" and by_code["N31"]["category"] == "vocs"
    assert by_code["N31"]["scheme"]["grades"] == ["A", "B", "C", "D"]
    assert by_code["HN01"]["scheme"]["grades"] == ["LEAD", "NONLEAD"]
    table = api.get("/api/v1/industries/N31/indicators/").json()
    assert any("凹版印刷" in r["text"] for s in table for r in s["requirements"])


def test_enterprises_pagination_and_page_size_cap(api):
    for _ in range(3):
        factories.enterprise(county="410184")
    body = api.get("/api/v1/enterprises/", {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    first = body["results"][0]
    assert set(first) >= {"id", "name", "uscc", "county", "industries", "overall_grade"}
    assert first["county"] == "410184" and first["industries"] == ["N31"]
    # page_size above 1000 is capped, not an error
    assert api.get("/api/v1/enterprises/", {"page_size": 5000}).status_code == 200


def test_enterprise_filters(api, county_user):
    factories.enterprise(county="410184", industry="N15", name="新郑水泥有限公司")
    factories.enterprise(county="410184", industry="N31", name="新郑印务有限公司")
    got = api.get("/api/v1/enterprises/", {"industry": "N15"}).json()
    assert [r["name"] for r in got["results"]] == ["新郑水泥有限公司"]
    got = api.get("/api/v1/enterprises/", {"search": "印务"}).json()
    assert [r["name"] for r in got["results"]] == ["新郑印务有限公司"]
    assert api.get("/api/v1/enterprises/", {"grade": "none"}).json()["count"] == 2
    assert api.get("/api/v1/enterprises/", {"industry": "XX"}).json()["count"] == 0


def _payload(**extra):
    return {
        "name": "新郑市接口测试有限公司",
        "uscc": factories.valid_uscc("410184"),
        "county": "410184",
        "industries": [{"industry": "N31", "vocs_tpa": "12.5"}],
        **extra,
    }


def test_create_enterprise_through_api(api):
    response = api.post("/api/v1/enterprises/", _payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["county"] == "410184" and body["industries"][0]["is_main"] is True
    assert AuditEvent.objects.filter(code="enterprise.created", object_id=str(body["id"])).exists()


@pytest.mark.parametrize(
    "extra,field,word",
    [
        ({"uscc": "91350100M000100Y40"}, "uscc", "校验位"),
        ({"county": "410122"}, "county", "管辖范围"),
        ({"county": "999999"}, "county", "不存在"),
        ({"industries": [{"industry": "XX99"}]}, "industries", "不存在"),
        ({"industries": []}, "industries", "至少"),
        ({"industries": [{"industry": "N31", "so2_tpa": "-1"}]}, "industries", ""),
        ({"contact_mobile": "12345"}, "contact_mobile", "手机号"),
    ],
)
def test_bad_input_gives_400_with_chinese_field_errors(api, extra, field, word):
    response = api.post("/api/v1/enterprises/", _payload(**extra), format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors
    assert word in str(errors[field])
    assert not Enterprise.objects.exists()


def test_duplicate_enterprise_gives_400(api):
    payload = _payload()
    assert api.post("/api/v1/enterprises/", payload, format="json").status_code == 201
    again = api.post("/api/v1/enterprises/", payload, format="json")
    assert again.status_code == 400 and "已登记" in again.json()["uscc"][0]
    assert Enterprise.objects.count() == 1


def test_token_auth(county_user):
    county_user.set_password("Zx-9a!long")
    county_user.save()
    issued = APIClient().post(
        "/api/v1/auth/token/", {"username": county_user.username, "password": "Zx-9a!long"}
    )
    assert issued.status_code == 201
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    assert client.get("/api/v1/regions/").status_code == 200


def test_schema_and_docs_are_served(client, county_user):
    client.force_login(county_user)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/enterprises/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()
