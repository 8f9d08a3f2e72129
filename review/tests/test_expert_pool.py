"""The expert pools (002 第八条, 第二十一条; 003 四): pools per city and the provincial pool,
training records, technical service units with the enterprises each served (an automatic
conflict for the unit's experts, R-REV-7), the blacklisting of units (R-REV-8), an expert's
workload and history; conflicts declared and detected visible only within reach."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent
from grading.models import Region
from review.models import PoolMembership, ServiceEngagement, ServiceUnitBlacklisting
from review.selectors.experts import expert_history, expert_suggestions, expert_workload
from review.services import panels, pools, units
from review.tests import builders
from review.tests.api_client import EXPERTS, client_for, messages
from tests import factories

pytestmark = pytest.mark.django_db

UNITS = "/api/v1/review/units/"
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


@pytest.fixture
def kaifeng_city(db):
    return builders.city_staff("410200")


@pytest.fixture
def unit(city_user):
    return units.unit_create(actor=city_user, name="郑州市环科技术咨询有限公司")


def page_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def error(exc_info) -> str:
    return " ".join(exc_info.value.messages)


# --- Pools -----------------------------------------------------------------------------------


def test_pools_per_city_and_the_provincial_pool(city_user, kaifeng_city, province_user):
    expert = builders.expert("N31", pool=None)
    zhengzhou, kaifeng, province = (
        Region.objects.get(code=c) for c in ("410100", "410200", "410000")
    )
    assert client_for(city_user).get(f"{EXPERTS}{expert.username}/").status_code == 404
    pools.pool_member_add(actor=city_user, expert=expert, pool=zhengzhou)
    assert client_for(city_user).get(f"{EXPERTS}{expert.username}/").status_code == 200
    assert client_for(kaifeng_city).get(f"{EXPERTS}{expert.username}/").status_code == 404
    for pool in (kaifeng, province):
        with pytest.raises(PermissionDenied):
            pools.pool_member_add(actor=city_user, expert=expert, pool=pool)
    with pytest.raises(ValidationError) as exc:
        pools.pool_member_add(actor=city_user, expert=expert, pool=zhengzhou)
    assert "已在郑州市专家库中" in error(exc)
    membership = pools.pool_member_add(actor=province_user, expert=expert, pool=province)
    # Now 开封 works with it too, through the provincial pool.
    assert client_for(kaifeng_city).get(f"{EXPERTS}{expert.username}/").status_code == 200

    with pytest.raises(ValidationError):
        pools.pool_member_remove(actor=province_user, membership=membership, reason=" ")
    pools.pool_member_remove(actor=province_user, membership=membership, reason="本人申请退出")
    membership.refresh_from_db()
    assert membership.removed_at is not None and membership.removed_by == province_user
    assert client_for(kaifeng_city).get(f"{EXPERTS}{expert.username}/").status_code == 404
    assert PoolMembership.objects.filter(expert=expert).count() == 2  # nothing deleted
    assert AuditEvent.objects.filter(code="expert.pool_left", object_id=str(expert.pk)).exists()


def test_r_rev_7_no_agency_expert_enters_a_pool(province_user):
    agency = builders.expert("N31", pool=None, employer_is_service_agency=True)
    with pytest.raises(ValidationError) as exc:
        pools.pool_member_add(
            actor=province_user, expert=agency, pool=Region.objects.get(code="410000")
        )
    assert "第三方机构人员不得入库" in error(exc)


def test_pools_through_the_api_and_the_page(city_user, province_user):
    expert = builders.expert("N31")  # provincial pool: 郑州 works with it
    api = client_for(city_user)
    refused = api.post(f"{EXPERTS}{expert.username}/pools/", {"pool": "410200"}, format="json")
    assert refused.status_code == 404  # 开封's pool is not one 郑州 works with
    added = api.post(f"{EXPERTS}{expert.username}/pools/", {"pool": "410100"}, format="json")
    assert added.status_code == 201, added.json()
    assert added.json()["pool_name"] == "郑州市"
    detail = api.get(f"{EXPERTS}{expert.username}/").json()
    assert sorted(detail["pools"]) == ["410000", "410100"]
    provincial = PoolMembership.objects.get(expert=expert, pool__code="410000")
    refused = api.post(
        f"{EXPERTS}{expert.username}/pools/{provincial.pk}/remove/", {"reason": "x"}, format="json"
    )
    assert refused.status_code == 403

    page = page_for(city_user)
    url = f"/review/experts/{expert.username}/"
    own = PoolMembership.objects.get(expert=expert, pool__code="410100")
    response = page.post(
        url, {"action": "pool_remove", "membership": own.pk, "reason": "调离"}, follow=True
    )
    assert "已移出专家库" in response.content.decode()
    assert not PoolMembership.objects.filter(pk=own.pk, removed_at__isnull=True).exists()


# --- Trainings -------------------------------------------------------------------------------


def test_trainings_are_recorded_by_the_pools_keeper(city_user, kaifeng_city, n31_expert):
    """002 第八条(1). 郑州 keeps n31_expert's pool; 开封 does not reach it."""
    body = {
        "held_on": "2026-03-15",
        "title": "重点行业绩效分级技术指南培训",
        "organiser": "河南省生态环境厅",
        "hours": "8.0",
    }
    assert (
        client_for(kaifeng_city)
        .post(f"{EXPERTS}{n31_expert.username}/trainings/", body, format="json")
        .status_code
        == 404
    )
    provincial = builders.expert("N31")
    refused = client_for(city_user).post(
        f"{EXPERTS}{provincial.username}/trainings/", body, format="json"
    )
    assert refused.status_code == 403
    response = client_for(city_user).post(
        f"{EXPERTS}{n31_expert.username}/trainings/", body, format="json"
    )
    assert response.status_code == 201, response.json()
    bad = client_for(city_user).post(
        f"{EXPERTS}{n31_expert.username}/trainings/", {**body, "hours": "0"}, format="json"
    )
    assert bad.status_code == 400 and "学时应大于0" in messages(bad.json())
    detail = client_for(city_user).get(f"{EXPERTS}{n31_expert.username}/").json()
    assert [t["title"] for t in detail["record"]["trainings"]] == [body["title"]]
    response = page_for(city_user).post(
        f"/review/experts/{n31_expert.username}/",
        {**body, "held_on": "2026-04-01", "title": "现场核查要点", "action": "training"},
        follow=True,
    )
    assert "培训记录已登记" in response.content.decode()
    assert n31_expert.trainings.count() == 2


# --- Technical service units (R-REV-7, R-REV-8) ---------------------------------------------


def test_r_rev_7_a_served_enterprise_is_an_automatic_conflict_for_the_units_experts(
    at_city, city_user, enterprise, n31_expert, unit
):
    other = builders.expert("N31", pool="410100")
    member = units.unit_member_add(
        actor=city_user, unit=unit, expert=n31_expert, since=datetime.date(2024, 1, 1)
    )
    units.engagement_record(
        actor=city_user,
        unit=unit,
        enterprise_uscc=enterprise.uscc,
        service=ServiceEngagement.Service.ACCEPTANCE,
        served_on=datetime.date(2025, 6, 1),
    )
    suggested = list(expert_suggestions(case=at_city))
    assert n31_expert not in suggested and other in suggested
    with pytest.raises(ValidationError) as exc:
        builders.panel_form(at_city, city_user, [n31_expert])
    assert "所在技术服务单位“郑州市环科技术咨询有限公司”曾为该企业提供竣工环保验收" in error(exc)
    assert "R-REV" not in error(exc)
    # Leaving the unit does not end the conflict: it served the enterprise while it was there.
    units.unit_member_end(actor=city_user, member=member, until=TODAY(), reason="调入高校")
    with pytest.raises(ValidationError):
        builders.panel_form(at_city, city_user, [n31_expert])
    builders.panel_form(at_city, city_user, [other])
    # The expert page lists it among the conflicts, detected by the system.
    shown = page_for(city_user).get(f"/review/experts/{n31_expert.username}/")
    assert enterprise.name in shown.content.decode()
    assert "系统识别" in shown.content.decode()


def test_r_rev_8_a_blacklisted_unit_takes_its_current_experts_out(
    at_city, city_user, province_user, n31_expert, unit
):
    former = builders.expert("N31", pool="410100")
    units.unit_member_add(actor=city_user, unit=unit, expert=n31_expert, since=TODAY())
    gone = units.unit_member_add(
        actor=city_user, unit=unit, expert=former, since=datetime.date(2020, 1, 1)
    )
    units.unit_member_end(
        actor=city_user, member=gone, until=datetime.date(2021, 1, 1), reason="离职"
    )
    with pytest.raises(ValidationError):
        units.unit_blacklist(actor=city_user, unit=unit, reason="fees", detail=" ")
    entry = units.unit_blacklist(
        actor=city_user,
        unit=unit,
        reason="fees",
        detail="向企业收取评审费用",
        document_no="郑环〔2026〕9号",
    )
    with pytest.raises(ValidationError) as exc:
        builders.panel_form(at_city, city_user, [n31_expert])
    assert "所在技术服务单位“郑州市环科技术咨询有限公司”已被列入黑名单" in error(exc)
    assert n31_expert not in expert_suggestions(case=at_city)
    assert former in expert_suggestions(case=at_city)

    with pytest.raises(PermissionDenied):
        units.unit_blacklist_lift(actor=city_user, entry=entry, reason="复核")
    units.unit_blacklist_lift(actor=province_user, entry=entry, reason="经复核举报不实")
    assert n31_expert in expert_suggestions(case=at_city)
    assert ServiceUnitBlacklisting.objects.filter(unit=unit).count() == 1  # kept


def test_r_rev_7_served_enterprises_are_recorded_and_read_only_within_reach(
    city_user, kaifeng_city, province_user, enterprise
):
    """A unit the province keeps: 郑州 records that it served its enterprise; 开封 can record no
    service to 郑州's enterprise (the answer of an unknown code) and reads none of 郑州's."""
    provincial_unit = units.unit_create(actor=province_user, name="河南某环保科技有限公司")
    url = f"{UNITS}{provincial_unit.pk}/engagements/"
    body = {"enterprise_uscc": enterprise.uscc, "service": "eia", "served_on": "2025-05-01"}
    attack = client_for(kaifeng_city).post(url, body, format="json")
    assert attack.status_code == 400
    assert attack.json() == {"enterprise_uscc": ["未找到该统一社会信用代码的企业"]}
    assert enterprise.name not in attack.content.decode()
    assert client_for(city_user).post(url, body, format="json").status_code == 201
    for reader, sees in ((city_user, True), (province_user, True), (kaifeng_city, False)):
        detail = client_for(reader).get(f"{UNITS}{provincial_unit.pk}/").json()
        assert ([e["enterprise_name"] for e in detail["engagements"]] == [enterprise.name]) == sees
        page = page_for(reader).get(f"/review/units/{provincial_unit.pk}/").content.decode()
        assert (enterprise.name in page) == sees


def test_units_are_read_within_reach_and_kept_by_their_bureau(
    city_user, kaifeng_city, county_user, province_user, unit
):
    assert client_for(kaifeng_city).get(f"{UNITS}{unit.pk}/").status_code == 404
    assert page_for(kaifeng_city).get(f"/review/units/{unit.pk}/").status_code == 404
    assert unit.pk not in [u["id"] for u in client_for(kaifeng_city).get(UNITS).json()["results"]]
    assert client_for(county_user).get(UNITS).status_code == 403
    assert page_for(county_user).get("/review/units/").status_code == 403
    assert client_for(province_user).get(f"{UNITS}{unit.pk}/").status_code == 200
    # The province reads 郑州's unit and may keep it; 郑州 does not keep the province's.
    provincial_unit = units.unit_create(actor=province_user, name="省级技术支撑单位")
    response = client_for(city_user).post(
        f"{UNITS}{provincial_unit.pk}/blacklist/",
        {"reason": "fees", "detail": "收费"},
        format="json",
    )
    assert response.status_code == 403
    with pytest.raises(ValidationError) as exc:
        units.unit_create(actor=city_user, name="郑州市环科技术咨询有限公司")
    assert "同名" in error(exc)


def test_units_through_the_api(city_user, enterprise, n31_expert):
    api = client_for(city_user)
    created = api.post(UNITS, {"name": "郑州绿源环境监测有限公司"}, format="json")
    assert created.status_code == 201, created.json()
    url = f"{UNITS}{created.json()['id']}/"
    added = api.post(
        f"{url}members/", {"expert": n31_expert.username, "since": "2024-02-01"}, format="json"
    )
    assert added.status_code == 201, added.json()
    [member] = added.json()["members"]
    served = api.post(
        f"{url}engagements/",
        {"enterprise_uscc": enterprise.uscc, "service": "monitoring", "served_on": "2025-01-10"},
        format="json",
    )
    assert served.status_code == 201, served.json()
    assert served.json()["engagements"][0]["enterprise_name"] == enterprise.name
    ended = api.post(
        f"{url}members/{member['id']}/end/",
        {"until": TODAY().isoformat(), "reason": "离职"},
        format="json",
    )
    assert ended.status_code == 200 and ended.json()["members"][0]["until"] is not None
    detail = api.get(f"{EXPERTS}{n31_expert.username}/").json()["record"]
    assert [u["unit_name"] for u in detail["units"]] == ["郑州绿源环境监测有限公司"]
    assert [c["enterprise_name"] for c in detail["detected_conflicts"]] == [enterprise.name]
    blacklisted = api.post(
        f"{url}blacklist/", {"reason": "false_opinion", "detail": "出具虚假报告"}, format="json"
    )
    assert blacklisted.status_code == 201 and blacklisted.json()["blacklisted"] is True


def test_units_through_the_pages(city_user, enterprise, n31_expert):
    page = page_for(city_user)
    response = page.post("/review/units/", {"name": "郑州清源环保工程有限公司"})
    assert response.status_code == 302
    url = response["Location"]
    response = page.post(
        url, {"action": "member", "expert": n31_expert.pk, "since": "2024-01-01"}, follow=True
    )
    assert "已登记本单位专家" in response.content.decode()
    response = page.post(
        url,
        {
            "action": "engagement",
            "enterprise_uscc": enterprise.uscc,
            "service": "cleaner_production",
            "served_on": "2025-03-01",
        },
        follow=True,
    )
    assert "该单位专家不得参与该企业的评审" in response.content.decode()
    assert enterprise.name in response.content.decode()
    response = page.post(
        url, {"action": "blacklist", "reason": "gifts", "detail": "收受礼品"}, follow=True
    )
    assert "已列入黑名单" in response.content.decode()
    assert page.post(url, {"action": "lift", "id": 1, "reason": "x"}).status_code == 403


# --- Workload and history --------------------------------------------------------------------


def test_an_experts_workload_and_history_within_reach(
    at_city, city_user, kaifeng_city, province_user
):
    """One expert of the provincial pool on 郑州's and 开封's panels: its workload counts both;
    each city's history shows its own case only, the province both."""
    expert = builders.expert("N31")
    builders.panel_form(at_city, city_user, [expert])
    kaifeng_ent = factories.enterprise(county="410202", industry="N31")
    kaifeng_user = factories.enterprise_user(kaifeng_ent)
    county = builders.county_staff("410202")
    kaifeng_case = builders.open_case(county, builders.submitted(kaifeng_user, grade="B"))
    builders.county_recommend(kaifeng_case, [county, builders.county_staff("410202")])
    kaifeng_case = builders.refresh(kaifeng_case)
    builders.panel_form(kaifeng_case, kaifeng_city, [expert])

    workload = expert_workload(expert=expert)
    assert (workload.open_panels, workload.panels_this_year, workload.panels_total) == (2, 2, 2)
    assert [p.case_id for p in expert_history(viewer=city_user, expert=expert)] == [at_city.pk]
    assert {p.case_id for p in expert_history(viewer=province_user, expert=expert)} == {
        at_city.pk,
        kaifeng_case.pk,
    }
    history = client_for(city_user).get(f"{EXPERTS}{expert.username}/history/").json()
    assert [h["case"] for h in history["results"]] == [at_city.pk]
    assert history["results"][0]["enterprise_name"] == at_city.declaration.enterprise.name
    listed = {e["username"]: e for e in client_for(city_user).get(EXPERTS).json()["results"]}
    assert (
        listed[expert.username]["open_panels"],
        listed[expert.username]["panels_this_year"],
    ) == (
        2,
        2,
    )
    page = page_for(city_user).get(f"/review/experts/{expert.username}/").content.decode()
    assert at_city.declaration.enterprise.name in page
    assert kaifeng_ent.name not in page
    assert client_for(expert).get(f"{EXPERTS}{expert.username}/history/").json()["count"] == 2


def test_record_conflict_by_staff_is_scoped_on_the_page_too(city_user, n31_expert):
    kaifeng = factories.enterprise(county="410202", industry="N31")
    response = page_for(city_user).post(
        "/review/experts/",
        {
            "action": "conflict",
            "expert": n31_expert.pk,
            "enterprise_uscc": kaifeng.uscc,
            "kind": "other",
        },
        follow=True,
    )
    assert "未找到该统一社会信用代码的企业" in response.content.decode()
    assert kaifeng.name not in response.content.decode()
    assert not panels.is_blacklisted(n31_expert)
