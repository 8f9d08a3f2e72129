"""The positive enforcement list (R-PUB-3): A, 引领性 and 先进性 enterprises, current as grades
change, exported for inspection planning, published."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from grading.models import GradeRecord, User
from publication.models import ExportFile
from publication.selectors.positive import positive_list
from publication.services import lists
from publication.services.exports import export_request
from publication.tests import builders
from tests import factories

pytestmark = pytest.mark.django_db
IMPORT = GradeRecord.Source.IMPORT


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def graded():
    made = {
        "A": factories.enterprise(county="410184", name="新郑市甲包装有限公司"),
        "LEAD": factories.enterprise(
            county="410184", industry="HN01", name="新郑市乙混凝土有限公司"
        ),
        "ADV": factories.enterprise(
            county="410122", industry="GENERAL", name="中牟县丙机械有限公司"
        ),
        "B": factories.enterprise(county="410184", name="新郑市丁印务有限公司"),
    }
    for code, ent in made.items():
        builders.decided(ent, code, source=IMPORT)
    return made


def names(qs) -> set[str]:
    return {e.name for e in qs}


def test_r_pub_3_a_lead_and_adv_are_on_the_list_and_it_follows_grades(city_user, graded):
    assert names(positive_list(viewer=city_user)) == {
        "新郑市甲包装有限公司",
        "新郑市乙混凝土有限公司",
        "中牟县丙机械有限公司",
    }
    builders.decided(graded["A"], "B", on=builders.DAY, source=GradeRecord.Source.DOWNGRADE)
    builders.decided(graded["B"], "A", on=builders.DAY, source=GradeRecord.Source.IMPORT)
    assert "新郑市甲包装有限公司" not in names(positive_list(viewer=city_user))
    assert "新郑市丁印务有限公司" in names(positive_list(viewer=city_user))


def test_a_county_sees_its_own_county_and_others_nothing(county_user, graded, enterprise_user):
    assert names(positive_list(viewer=county_user)) == {
        "新郑市甲包装有限公司",
        "新郑市乙混凝土有限公司",
    }
    assert not positive_list(viewer=enterprise_user).exists()
    assert client_for(enterprise_user).get("/publication/positive/").status_code == 403
    page = client_for(county_user).get("/publication/positive/").content.decode()
    assert "新郑市甲包装有限公司" in page and "中牟县丙机械有限公司" not in page


def test_r_pub_3_exported_for_inspection_planning(
    county_user, other_county_user, graded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(county_user).post(
            "/publication/exports/", {"kind": "positive", "region": "410184"}
        )
    assert response.status_code == 302
    export = ExportFile.objects.get()
    assert export.status == "ready" and export.rows == 2
    download = client_for(county_user).get(f"/publication/exports/{export.pk}/download/")
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "新郑市监管执法正面清单"
    assert rows[2][:4] == ("序号", "省辖市", "县（市、区）", "企业名称")
    assert {r[3] for r in rows[3:]} == {"新郑市甲包装有限公司", "新郑市乙混凝土有限公司"}
    assert (
        client_for(other_county_user).get(f"/publication/exports/{export.pk}/download/").status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        export_request(actor=other_county_user, kind="positive", region=county_user.region)


def test_the_api_answers_the_same(county_user, other_county_user, graded):
    api = APIClient()
    api.force_authenticate(county_user)
    body = api.get("/api/v1/publication/positive/").json()
    assert {r["name"] for r in body["results"]} == {
        "新郑市甲包装有限公司",
        "新郑市乙混凝土有限公司",
    }
    assert api.get("/api/v1/publication/positive/?region=410122").status_code == 404
    created = api.post(
        "/api/v1/publication/exports/", {"kind": "positive", "region": "410184"}, format="json"
    )
    assert created.status_code == 201
    other = APIClient()
    other.force_authenticate(other_county_user)
    assert other.get(f"/api/v1/publication/exports/{created.json()['id']}/").status_code == 404
    refused = other.post(
        "/api/v1/publication/exports/", {"kind": "positive", "region": "410184"}, format="json"
    )
    assert refused.status_code == 403


def test_r_pub_3_published_and_kept_current(province, graded, django_capture_on_commit_callbacks):
    secret = factories.enterprise(
        county="410184", name="新郑市保密戊有限公司", is_confidential=True
    )
    builders.decided(secret, "A", source=IMPORT)
    lists.list_publish(actor=province, issuer=province.region, tier="province")
    public = Client().get("/public/positive/").content.decode()
    for name in ("新郑市甲包装有限公司", "新郑市乙混凝土有限公司", "中牟县丙机械有限公司"):
        assert name in public
    assert "新郑市丁印务有限公司" not in public  # B: on the list, not positive
    assert "新郑市保密戊有限公司" not in public
    builders.decided(graded["A"], "C", on=builders.DAY, source=GradeRecord.Source.DOWNGRADE)
    assert "新郑市甲包装有限公司" not in Client().get("/public/positive/").content.decode()
    api = APIClient().get("/api/v1/public/positive/").json()
    assert {r["enterprise_name"] for r in api["results"]} == {
        "新郑市乙混凝土有限公司",
        "中牟县丙机械有限公司",
    }


def test_the_hub_offers_each_role_its_parts(county_user, province):
    county_hub = client_for(county_user).get("/publication/").content.decode()
    assert "监管执法正面清单" in county_hub and "公示与公布" not in county_hub
    assert "公示与公布" in client_for(province).get("/publication/").content.decode()
    expert = factories.expert_user()
    assert client_for(expert).get("/publication/").status_code == 403
    assert User.objects.filter(pk=expert.pk).exists()
