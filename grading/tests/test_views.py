import pytest

from core.models import AuditEvent
from grading.models import Enterprise
from tests import factories

pytestmark = pytest.mark.django_db


def _form(county="410184", **extra):
    data = {
        "name": "新郑市表单测试有限公司",
        "uscc": factories.valid_uscc("410184"),
        "county": "",
        "address": "新郑市工业路1号",
        "production_status": "running",
        "ind-TOTAL_FORMS": "2",
        "ind-INITIAL_FORMS": "0",
        "ind-MIN_NUM_FORMS": "0",
        "ind-MAX_NUM_FORMS": "10",
        "ind-0-industry": "",
        "ind-0-so2_tpa": "0",
        "ind-0-nox_tpa": "0",
        "ind-0-pm_tpa": "0",
        "ind-0-vocs_tpa": "12",
        "ind-1-so2_tpa": "0",
        "ind-1-nox_tpa": "0",
        "ind-1-pm_tpa": "0",
        "ind-1-vocs_tpa": "0",
    }
    from grading.models import Industry, Region

    data["county"] = str(Region.objects.get(code=county).pk)
    data["ind-0-industry"] = str(Industry.objects.get(code="N31").pk)
    data.update(extra)
    return data


def test_county_user_registers_enterprise_in_browser(client, county_user):
    client.force_login(county_user)
    assert "登记企业" in client.get("/enterprises/new/").content.decode()
    response = client.post("/enterprises/new/", _form())
    assert response.status_code == 302
    ent = Enterprise.objects.get(name="新郑市表单测试有限公司")
    assert ent.industries.get().industry.code == "N31"
    detail = client.get(response["Location"]).content.decode()
    assert "新郑市表单测试有限公司" in detail and "包装印刷" in detail


def test_invalid_uscc_shows_chinese_error_and_saves_nothing(client, county_user):
    client.force_login(county_user)
    bad = factories.valid_uscc("410184")
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    page = client.post("/enterprises/new/", _form(uscc=bad)).content.decode()
    assert "统一社会信用代码校验位错误" in page
    assert not Enterprise.objects.exists()


def test_county_outside_jurisdiction_is_not_offered(client, county_user):
    client.force_login(county_user)
    page = client.post("/enterprises/new/", _form(county="410122")).content.decode()
    assert "选择一个有效的选项" in page or "有效" in page
    assert not Enterprise.objects.exists()


def test_duplicate_enterprise_shows_chinese_error(client, county_user, enterprise):
    client.force_login(county_user)
    page = client.post("/enterprises/new/", _form(uscc=enterprise.uscc)).content.decode()
    assert "已登记" in page
    assert Enterprise.objects.count() == 1


def test_unknown_industry_shows_chinese_error(client, county_user):
    client.force_login(county_user)
    page = client.post("/enterprises/new/", _form(**{"ind-0-industry": "999999"})).content
    assert "行业不存在" in page.decode()
    assert not Enterprise.objects.exists()


def test_edit_enterprise_records_event(client, county_user, enterprise):
    client.force_login(county_user)
    data = _form(uscc=enterprise.uscc, name=enterprise.name, address="新地址8号")
    data["ind-INITIAL_FORMS"] = "1"
    response = client.post(f"/enterprises/{enterprise.pk}/edit/", data)
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.address == "新地址8号"
    assert AuditEvent.objects.filter(code="enterprise.updated", object_id=str(enterprise.pk))


def test_enterprise_list_filters_and_search(client, county_user):
    factories.enterprise(county="410184", industry="N15", name="新郑水泥一厂有限公司")
    factories.enterprise(county="410184", industry="N31", name="新郑印务有限公司")
    client.force_login(county_user)
    page = client.get("/enterprises/", {"q": "水泥"}).content.decode()
    assert "新郑水泥一厂有限公司" in page and "新郑印务有限公司" not in page
    page = client.get("/enterprises/", {"grade": "none"}).content.decode()
    assert "共 2 家企业" in page


def test_list_queries_do_not_grow_with_rows(client, county_user, django_assert_max_num_queries):
    for _ in range(30):
        factories.enterprise(county="410184")
    client.force_login(county_user)
    with django_assert_max_num_queries(12):
        assert client.get("/enterprises/").status_code == 200


def test_industry_pages_show_indicator_table(client, county_user):
    client.force_login(county_user)
    assert "包装印刷" in client.get("/industries/").content.decode()
    page = client.get("/industries/N31/").content.decode()
    assert "原辅材料" in page and "凹版印刷工艺" in page and "待补录" in page


def test_english_is_available(client, county_user):
    client.force_login(county_user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/inbox/"})
    page = client.get("/inbox/").content.decode()
    assert 'lang="en"' in page


def test_every_role_can_open_its_inbox_and_sees_only_its_own_menu(
    client, county_user, city_user, province_user, enterprise_user
):
    admin = factories.admin_user()
    assert admin.is_superuser  # Django grants a superuser every has_perm; the menu asks rules
    for user in (county_user, city_user, province_user, enterprise_user, admin):
        client.force_login(user)
        page = client.get("/inbox/")
        assert page.status_code == 200
        assert ("本企业" in page.content.decode()) == (user == enterprise_user)


def test_healthz_answers_for_the_database_and_reports_the_broker(client, monkeypatch):
    from django.db import OperationalError

    import grading.views as views

    response = client.get("/healthz")
    assert response.status_code == 200
    assert "database ok" in response.content.decode()
    assert "broker " in response.content.decode()

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", down)
    response = client.get("/healthz")
    assert response.status_code == 503
