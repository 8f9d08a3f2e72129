"""The guarantee-class chain (R-GUAR-3; 002 第六条(4), 第十条(4)): the county's review of a
guarantee case due by 20 September; the city reviews with the development-and-reform,
industry, commerce and market-regulation departments (each signs or objects), decides and
reports its list to the province; removal with reason and date; the signals the emergency
list follows. Walked through the services, the API and the pages."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from declarations.models import Declaration, GuaranteeRemoval
from declarations.selectors import guarantee_declarations
from declarations.services import lifecycle
from declarations.services.guarantee import guarantee_remove
from declarations.signals import guarantee_granted, guarantee_removed
from grading.models import Region
from review.models import GuaranteeCoReview, GuaranteeReport, ReviewCase
from review.services import guarantee
from review.tests import builders
from review.tests.api_client import client_for, messages
from review.tests.builders import D
from tests import declaration_builders, factories

pytestmark = pytest.mark.django_db

Dept = GuaranteeCoReview.Department
GUARANTEE = "/api/v1/review/guarantee/"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


@pytest.fixture
def signals():
    got = {"granted": [], "removed": []}

    def on_granted(sender, **kw):
        got["granted"].append(kw)

    def on_removed(sender, **kw):
        got["removed"].append(kw)

    guarantee_granted.connect(on_granted, dispatch_uid="t-granted")
    guarantee_removed.connect(on_removed, dispatch_uid="t-removed")
    yield got
    guarantee_granted.disconnect(dispatch_uid="t-granted")
    guarantee_removed.disconnect(dispatch_uid="t-removed")


def guarantee_case(user, county_user) -> ReviewCase:
    d = declaration_builders.complete(
        declaration_builders.draft(
            user, grade="B", control_type="guarantee", guarantee_category="livelihood"
        ),
        user,
    )
    lifecycle.declaration_submit(actor=user, declaration=d)
    return builders.open_case(county_user, Declaration.objects.get(pk=d.pk))


@pytest.fixture
def at_city(enterprise_user, county_user, second_county_user, city_user, n31_expert):
    case = guarantee_case(enterprise_user, county_user)
    builders.county_recommend(case, [county_user, second_county_user])
    case = builders.refresh(case)
    builders.city_ready_to_forward(case, city_user, n31_expert)
    return builders.refresh(case)


def co_review(case, actor, department, verdict="signed"):
    return guarantee.guarantee_co_review_record(
        actor=actor,
        case=case,
        department=department,
        verdict=verdict,
        signatory="张科长",
        opinion="同意列为民生保障类" if verdict == "signed" else "订单材料不足",
    )


def all_sign(case, city_user):
    for dept in Dept.values:
        co_review(case, city_user, dept)


def test_r_guar_3_county_review_of_a_guarantee_case_is_due_by_20_september(
    enterprise_user, county_user
):
    case = guarantee_case(enterprise_user, county_user)
    year = case.declaration.year
    assert case.county_due == datetime.date(year, 9, 20)


def test_r_guar_3_city_decides_only_after_every_department_signed(at_city, city_user, signals):
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_city, city_user, D.DECIDE, grade_code="B")
    assert "发展改革部门" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_city, city_user, D.FORWARD, grade_code="B")
    assert "并报省备案" in " ".join(exc.value.messages)
    all_sign(at_city, city_user)
    builders.sign(at_city, city_user, D.DECIDE, grade_code="B")
    case = builders.refresh(at_city)
    assert case.stage == ReviewCase.Stage.DECIDED and case.final_grade.code == "B"
    assert [s["declaration"].pk for s in signals["granted"]] == [case.declaration_id]
    assert signals["granted"][0]["enterprise"] == case.declaration.enterprise
    assert signals["granted"][0]["actor"] == city_user
    county = case.declaration.enterprise.county
    assert list(guarantee_declarations(counties=[county], year=case.declaration.year)) == [
        case.declaration
    ]


def test_r_guar_3_an_objection_bars_the_grant(at_city, city_user, signals):
    co_review(at_city, city_user, Dept.DEVELOPMENT_REFORM)
    co_review(at_city, city_user, Dept.INDUSTRY)
    co_review(at_city, city_user, Dept.COMMERCE, "objection")
    co_review(at_city, city_user, Dept.MARKET_REGULATION)
    with pytest.raises(ValidationError) as exc:
        builders.sign(at_city, city_user, D.DECIDE, grade_code="B")
    assert "商务部门 提出异议" in " ".join(exc.value.messages)
    assert signals["granted"] == []


def test_r_guar_3_co_review_refusals(at_city, city_user, county_user):
    with pytest.raises(PermissionDenied):
        co_review(at_city, county_user, Dept.COMMERCE)
    other_city = factories.staff_user("city", "410300")
    with pytest.raises(PermissionDenied):
        co_review(at_city, other_city, Dept.COMMERCE)
    co_review(at_city, city_user, Dept.COMMERCE)
    with pytest.raises(ValidationError):
        co_review(at_city, city_user, Dept.COMMERCE)  # recorded once, never edited
    with pytest.raises(ValidationError):
        guarantee.guarantee_co_review_record(
            actor=city_user,
            case=at_city,
            department="tax",
            verdict="signed",
            signatory="x",
            opinion="x",
        )
    ordinary = builders.open_case(
        county_user, builders.submitted(factories.enterprise_user(factories.enterprise()))
    )
    with pytest.raises((ValidationError, PermissionDenied)):
        co_review(ordinary, city_user, Dept.COMMERCE)


def test_r_guar_3_removal_with_reason_and_date_leaves_the_list(
    at_city, city_user, county_user, other_county_user, signals
):
    all_sign(at_city, city_user)
    builders.sign(at_city, city_user, D.DECIDE, grade_code="B")
    declaration = Declaration.objects.get(pk=at_city.declaration_id)
    with pytest.raises(PermissionDenied):
        guarantee_remove(actor=other_county_user, declaration=declaration, reason="超范围生产")
    with pytest.raises(ValidationError):
        guarantee_remove(actor=county_user, declaration=declaration, reason=" ")
    on = datetime.date.today() - datetime.timedelta(days=1)
    removal = guarantee_remove(
        actor=county_user, declaration=declaration, reason="橙色预警期间超出保障任务生产", on=on
    )
    assert (removal.removed_on, removal.enterprise) == (on, declaration.enterprise)
    assert signals["removed"] == [
        {
            "enterprise": declaration.enterprise,
            "reason": "橙色预警期间超出保障任务生产",
            "on": on,
            "actor": county_user,
            "signal": guarantee_removed,
        }
    ]
    county = declaration.enterprise.county
    assert not guarantee_declarations(counties=[county], year=declaration.year).exists()
    with pytest.raises(ValidationError):
        guarantee_remove(actor=city_user, declaration=declaration, reason="再次移出")
    assert GuaranteeRemoval.objects.count() == 1


def test_r_guar_3_city_reports_its_list_to_the_province(
    at_city, city_user, province_user, county_user
):
    city = Region.objects.get(code="410100")
    year = at_city.declaration.year
    with pytest.raises(ValidationError):
        guarantee.guarantee_report_submit(actor=city_user, city=city, year=year)  # empty
    all_sign(at_city, city_user)
    builders.sign(at_city, city_user, D.DECIDE, grade_code="B")
    for actor in (county_user, province_user):
        with pytest.raises(PermissionDenied):
            guarantee.guarantee_report_submit(actor=actor, city=city, year=year)
    report = guarantee.guarantee_report_submit(actor=city_user, city=city, year=year, note="首批")
    assert [e["declaration"] for e in report.enterprises] == [at_city.declaration.number]
    assert province_user.notifications.filter(code="review.guarantee.reported").exists()


def test_r_guar_3_through_the_api_and_the_pages(at_city, city_user, county_user, other_county_user):
    api = client_for(city_user)
    for dept in Dept.values:
        response = api.post(
            f"{GUARANTEE}cases/{at_city.pk}/co-review/",
            {"department": dept, "verdict": "signed", "signatory": "李处长", "opinion": "同意"},
            format="json",
        )
        assert response.status_code == 201, response.json()
    page = Client()
    page.force_login(city_user)
    html = page.get(f"/review/cases/{at_city.pk}/").content.decode()
    assert "保障类部门会审" in html and "市场监管部门" in html and "李处长" in html
    builders.sign(at_city, city_user, D.DECIDE, grade_code="B")
    year = at_city.declaration.year
    rows = api.get(f"{GUARANTEE}?city=410100&year={year}").json()
    assert [r["number"] for r in rows] == [at_city.declaration.number]
    other = client_for(other_county_user)
    assert other.get(f"{GUARANTEE}?city=410100&year={year}").json() == []  # 中牟 sees its own
    assert other.get(f"{GUARANTEE}?city=410300").status_code == 404
    report = api.post(f"{GUARANTEE}report/", {"city": "410100", "year": year}, format="json")
    assert report.status_code == 201, report.json()
    html = page.get(f"/review/guarantee/?city=410100&year={year}").content.decode()
    assert at_city.declaration.number in html and "报送记录" in html
    county = Client()
    county.force_login(county_user)
    response = county.post(
        "/review/guarantee/",
        {
            "action": "remove",
            "city": "410100",
            "year": year,
            "declaration": at_city.declaration_id,
            "reason": "超出保障任务范围生产",
        },
    )
    assert response.status_code == 302
    html = county.get(f"/review/guarantee/?city=410100&year={year}").content.decode()
    assert "超出保障任务范围生产" in html
    gone = api.get(f"{GUARANTEE}?city=410100&year={year}").json()
    assert gone == []
    bad = client_for(county_user).post(
        f"{GUARANTEE}remove/",
        {"declaration": at_city.declaration_id, "reason": "x"},
        format="json",
    )
    assert bad.status_code in (400, 403) and messages(bad.json())
    assert GuaranteeReport.objects.count() == 1
