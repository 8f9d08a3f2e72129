"""Pages of notices: the bureau opens a notice, the public reads it and objects, the
designated handler handles the objection, the bureau publishes (R-PUB-1, R-PUB-2)."""

import datetime

import pytest
import time_machine
from django.test import Client

from grading.models import User
from publication.models import ListVersion, Notice, Objection
from publication.services import notices
from publication.tests import builders
from publication.tests.builders import DAY
from tests import factories

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def c_result():
    ent = factories.enterprise(county="410184", name="新郑市甲包装有限公司")
    return builders.decided(ent, "C")


def open_notice(city):
    with time_machine.travel(DAY):
        return notices.notice_open(actor=city)


def test_the_city_opens_a_notice_from_its_page(zhengzhou, c_result):
    client = client_for(zhengzhou)
    page = client.get("/publication/notices/")
    assert page.status_code == 200
    assert "待公示的认定结果" in page.content.decode()
    form = client.get("/publication/notices/new/")
    assert "新郑市甲包装有限公司" in form.content.decode()
    with time_machine.travel(DAY):
        response = client.post(
            "/publication/notices/new/",
            {"workdays": 7, "title": "", "statement": "", "records": [c_result.pk]},
        )
    notice = Notice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/publication/notices/{notice.pk}/"
    assert notice.workdays == 7
    assert notice.ends_on == datetime.date(2026, 3, 10)


def test_an_invalid_length_is_shown_on_the_form(zhengzhou, c_result):
    response = client_for(zhengzhou).post(
        "/publication/notices/new/", {"workdays": 0, "records": [c_result.pk]}
    )
    assert response.status_code == 200
    assert not Notice.objects.exists()


def test_counties_enterprises_and_experts_get_403(county_user, enterprise_user, c_result):
    for user in (county_user, enterprise_user, factories.expert_user()):
        assert client_for(user).get("/publication/notices/").status_code == 403
        assert client_for(user).get("/publication/notices/new/").status_code == 403


def test_another_city_gets_404_for_a_notice_and_its_objections(zhengzhou, luoyang, c_result):
    notice = open_notice(zhengzhou)
    with time_machine.travel(DAY):
        objection = notices.objection_lodge(
            item=notice.items.get(), content="等级与实际情况不符，请核实处理"
        )
    other = client_for(luoyang)
    assert other.get(f"/publication/notices/{notice.pk}/").status_code == 404
    assert other.get(f"/publication/objections/{objection.pk}/").status_code == 404


def test_r_pub_2_the_public_objects_without_an_account(zhengzhou, c_result):
    notice = open_notice(zhengzhou)
    item = notice.items.get()
    anonymous = Client()
    with time_machine.travel(datetime.datetime(2026, 3, 3, 9)):
        page = anonymous.get(f"/public/notices/{notice.number}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "新郑市甲包装有限公司" in html
        assert f"/public/notices/{notice.number}/objection/{item.public_key}/" in html
        response = anonymous.post(
            f"/public/notices/{notice.number}/objection/{item.public_key}/",
            {"content": "该企业喷涂工序无组织排放明显", "name": "王五", "contact": "13800001111"},
        )
        assert response.status_code == 302
        done = anonymous.get(response["Location"])
    objection = Objection.objects.get()
    assert objection.receipt in done.content.decode()
    assert objection.objector_name == "王五"


def test_r_pub_2_objector_shown_only_to_designated_handlers(zhengzhou, zhengzhou_handler, c_result):
    notice = open_notice(zhengzhou)
    with time_machine.travel(DAY):
        objection = notices.objection_lodge(
            item=notice.items.get(),
            content="等级与实际情况不符，请核实处理",
            name="赵六",
            contact="13700002222",
        )
    plain = client_for(zhengzhou).get(f"/publication/objections/{objection.pk}/").content.decode()
    assert "等级与实际情况不符" in plain
    assert "赵六" not in plain and "13700002222" not in plain
    assert 'id="handle-form"' not in plain
    handler = client_for(zhengzhou_handler)
    shown = handler.get(f"/publication/objections/{objection.pk}/").content.decode()
    assert "赵六" in shown and "13700002222" in shown
    listing = handler.get(f"/publication/notices/{notice.pk}/").content.decode()
    assert "赵六" in listing
    assert (
        "赵六"
        not in client_for(zhengzhou).get(f"/publication/notices/{notice.pk}/").content.decode()
    )


def test_the_handler_records_the_outcome_and_the_bureau_publishes(
    zhengzhou, zhengzhou_handler, c_result
):
    notice = open_notice(zhengzhou)
    with time_machine.travel(DAY):
        objection = notices.objection_lodge(
            item=notice.items.get(), content="等级与实际情况不符，请核实处理"
        )
    refused = client_for(zhengzhou).post(
        f"/publication/objections/{objection.pk}/", {"outcome": "kept", "note": "维持"}
    )
    assert refused.status_code == 403
    missing = client_for(zhengzhou_handler).post(
        f"/publication/objections/{objection.pk}/", {"outcome": "kept", "note": ""}
    )
    assert missing.status_code == 200
    assert Objection.objects.get().status == "open"
    with time_machine.travel(datetime.date(2026, 3, 4)):
        done = client_for(zhengzhou_handler).post(
            f"/publication/objections/{objection.pk}/",
            {"outcome": "kept", "note": "经核实，维持C级"},
        )
    assert done.status_code == 302
    assert Objection.objects.get().outcome == "kept"
    with time_machine.travel(datetime.date(2026, 3, 5)):
        early = client_for(zhengzhou).post(f"/publication/notices/{notice.pk}/publish/")
    assert early.status_code == 302
    assert not ListVersion.objects.exists()
    with time_machine.travel(datetime.date(2026, 3, 10)):
        client_for(zhengzhou).post(f"/publication/notices/{notice.pk}/publish/", {"note": ""})
    assert ListVersion.objects.get().rows.get().enterprise_name == "新郑市甲包装有限公司"


def test_the_city_publishes_a_new_version_from_its_page(zhengzhou, c_result):
    c_result.source = "import"
    c_result.save()
    response = client_for(zhengzhou).post("/publication/list/publish/", {"note": "年度更新"})
    assert response.status_code == 302
    assert ListVersion.objects.get().note == "年度更新"


def test_handlers_are_designated_by_the_admin_then_by_a_handler(db):
    admin = factories.admin_user()
    first = builders.staff(User.Role.CITY, "410100")
    second = builders.staff(User.Role.CITY, "410100")
    client = client_for(admin)
    assert client.get("/publication/handlers/?region=410100").status_code == 200
    client.post("/publication/handlers/?region=410100", {"user": first.pk, "region": "410100"})
    response = client_for(first).post("/publication/handlers/", {"user": second.pk})
    assert response.status_code == 302
    from publication.rules import is_designated_handler

    assert is_designated_handler(first) and is_designated_handler(second)
    plain = builders.staff(User.Role.CITY, "410100")
    client_for(plain).post("/publication/handlers/", {"user": plain.pk})
    assert not is_designated_handler(plain)
