"""The notices API of the bureaus and the public's (R-PUB-1, R-PUB-2)."""

import datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from publication.models import Notice, Objection
from publication.services import notices
from publication.tests import builders
from publication.tests.builders import DAY
from tests import factories

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def c_result():
    return builders.decided(factories.enterprise(county="410184", name="新郑市甲包装有限公司"), "C")


def test_the_city_notices_through_the_api(zhengzhou, c_result):
    candidates = api(zhengzhou).get("/api/v1/publication/notices/candidates/").json()
    assert [c["id"] for c in candidates["results"]] == [c_result.pk]
    with time_machine.travel(DAY):
        response = api(zhengzhou).post(
            "/api/v1/publication/notices/", {"records": [c_result.pk], "workdays": 5}, format="json"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["ends_on"] == "2026-03-06"
    assert body["items"][0]["enterprise_name"] == "新郑市甲包装有限公司"


def test_unknown_records_and_wrong_roles_are_refused(zhengzhou, county_user, c_result):
    bad = api(zhengzhou).post("/api/v1/publication/notices/", {"records": [999999]}, format="json")
    assert bad.status_code == 400
    assert api(county_user).get("/api/v1/publication/notices/").status_code == 403
    assert (
        api(county_user).post("/api/v1/publication/notices/", {}, format="json").status_code == 403
    )


def test_another_city_gets_404(zhengzhou, luoyang, c_result):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
    assert api(luoyang).get(f"/api/v1/publication/notices/{notice.pk}/").status_code == 404


def test_r_pub_2_the_public_api_lodges_and_only_handlers_read_who(
    zhengzhou, zhengzhou_handler, c_result
):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
    anonymous = api()
    with time_machine.travel(DAY):
        listed = anonymous.get("/api/v1/public/notices/")
        assert listed.status_code == 200
        detail = anonymous.get(f"/api/v1/public/notices/{notice.number}/").json()
        key = detail["items"][0]["key"]
        assert "id" not in detail and "id" not in detail["items"][0]
        lodged = anonymous.post(
            f"/api/v1/public/notices/{notice.number}/objections/",
            {
                "item": key,
                "content": "该企业未按要求安装在线监测",
                "name": "钱七",
                "contact": "q@example.cn",
            },
            format="json",
        )
    assert lodged.status_code == 201, lodged.json()
    assert set(lodged.json()) == {"receipt"}
    objection = Objection.objects.get()
    plain = api(zhengzhou).get(f"/api/v1/publication/objections/{objection.pk}/").json()
    assert plain["objector_name"] is None and plain["objector_contact"] is None
    shown = api(zhengzhou_handler).get(f"/api/v1/publication/objections/{objection.pk}/").json()
    assert shown["objector_name"] == "钱七"
    refused = api(zhengzhou).post(
        f"/api/v1/publication/objections/{objection.pk}/handle/",
        {"outcome": "kept", "note": "维持"},
        format="json",
    )
    assert refused.status_code == 403
    handled = api(zhengzhou_handler).post(
        f"/api/v1/publication/objections/{objection.pk}/handle/",
        {"outcome": "kept", "note": "核实后维持"},
        format="json",
    )
    assert handled.status_code == 200
    with time_machine.travel(datetime.date(2026, 3, 9)):
        published = api(zhengzhou).post(f"/api/v1/publication/notices/{notice.pk}/publish/")
    assert published.status_code == 200
    assert published.json()["version"] == 1
    assert Notice.objects.get().status == "published"


def test_objections_after_the_window_are_refused_by_the_api(zhengzhou, c_result):
    with time_machine.travel(DAY):
        notice = notices.notice_open(actor=zhengzhou)
    key = f"{c_result.enterprise.uscc}-{c_result.industry.code}"
    with time_machine.travel(datetime.date(2026, 3, 20)):
        response = api().post(
            f"/api/v1/public/notices/{notice.number}/objections/",
            {"item": key, "content": "等级与实际情况不符，请核实处理"},
            format="json",
        )
    assert response.status_code == 400
    assert "公示期已于" in str(response.json())
